package bearer

import "net/http"

// Operator is a person or tool allowed to use the operator API, and the
// token it authenticates with.
type Operator struct {
	Name  string
	Token string
}

// Operators authenticates requests to the operator API (approvals,
// acknowledgements, the kill switch) against the configured operators, so
// that every operator endpoint accepts and refuses the same callers.
type Operators struct {
	ops []operatorDigest
}

type operatorDigest struct {
	name string
	hash Digest
}

// NewOperators keeps the digests of the operators' tokens, never the tokens.
func NewOperators(ops []Operator) *Operators {
	o := &Operators{}
	for _, op := range ops {
		o.ops = append(o.ops, operatorDigest{name: op.Name, hash: Of(op.Token)})
	}
	return o
}

// Len is the number of configured operators.
func (o *Operators) Len() int { return len(o.ops) }

// Lookup names the operator whose token the Authorization header carries.
// Every operator is compared, so the time taken does not say which one
// matched; a token configured for two operators matches neither, since it
// could not say who acted.
func (o *Operators) Lookup(header string) (string, bool) {
	got, ok := FromHeader(header)
	if !ok {
		return "", false
	}
	name, found := "", 0
	for _, op := range o.ops {
		if got.Equal(op.hash) {
			name, found = op.name, found+1
		}
	}
	return name, found == 1
}

// Refusal is why a request to the operator API was not authenticated.
type Refusal struct {
	Status int    // http.StatusUnauthorized or http.StatusForbidden
	Reason string // stable label for the refusals metric
	Detail string // what to tell the caller
}

// Authenticate names the operator making r, or says why it is refused: 403
// when no operators are configured (the API is off), 401 with a Bearer
// challenge on w for a missing or unknown token.
func (o *Operators) Authenticate(w http.ResponseWriter, r *http.Request) (string, *Refusal) {
	if o == nil || len(o.ops) == 0 {
		return "", &Refusal{Status: http.StatusForbidden, Reason: "operator_api_disabled",
			Detail: "no operators are configured (operator blocks in firebreak.hcl)"}
	}
	name, ok := o.Lookup(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="firebreak"`)
		return "", &Refusal{Status: http.StatusUnauthorized, Reason: "operator_unauthorized", Detail: "missing or unknown operator token"}
	}
	return name, nil
}
