package runbooks

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

const (
	funcSecret   = "secret"
	funcDuration = "duration"
)

// secretNamePattern is the shape internal/secrets accepts: usable as a file
// name in the secrets directory (no separators, no dots) and mapping to
// exactly one environment variable. Checking it here turns a name the
// engine would refuse mid-incident into a validation error.
var secretNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// secretType is the capsule type secret() returns. A capsule cannot be
// converted to a string, so a secret reference used in a template or a
// condition fails to evaluate instead of leaking a name or a value.
var secretType = cty.Capsule("secret", reflect.TypeOf(""))

// secretFunc returns a reference to a named secret; the value is resolved by
// the activity that needs it, never by the workflow.
var secretFunc = function.New(&function.Spec{
	Description: "A reference to a secret resolved at run time by the engine.",
	Params: []function.Parameter{
		{Name: "name", Type: cty.String},
	},
	Type: function.StaticReturnType(secretType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		name := args[0].AsString()
		if !secretNamePattern.MatchString(name) {
			return cty.NilVal, fmt.Errorf("invalid secret name %q: want lower-case letters, digits and '_', starting with a letter", name)
		}
		return cty.CapsuleVal(secretType, &name), nil
	},
})

// durationFunc turns a Go duration string into seconds, so conditions can
// compare ages and windows reported by diagnoses in seconds.
var durationFunc = function.New(&function.Spec{
	Description: "The number of seconds in a duration such as \"30m\".",
	Params: []function.Parameter{
		{Name: "duration", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		d, err := time.ParseDuration(args[0].AsString())
		if err != nil {
			return cty.NilVal, fmt.Errorf("invalid duration: %w", err)
		}
		return cty.NumberFloatVal(d.Seconds()), nil
	},
})

// stringPredicate builds startswith/endswith/strcontains, which the cty
// standard library does not have.
func stringPredicate(desc string, f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params: []function.Parameter{
			{Name: "str", Type: cty.String},
			{Name: "substr", Type: cty.String},
		},
		Type: function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// functionTable is every function an expression may call. All are pure:
// nothing reads the clock, the file system or a random source, because
// expressions are evaluated inside workflows that must replay identically.
var functionTable = map[string]function.Function{
	// numbers
	"abs":      stdlib.AbsoluteFunc,
	"ceil":     stdlib.CeilFunc,
	"floor":    stdlib.FloorFunc,
	"log":      stdlib.LogFunc,
	"max":      stdlib.MaxFunc,
	"min":      stdlib.MinFunc,
	"parseint": stdlib.ParseIntFunc,
	"pow":      stdlib.PowFunc,
	"signum":   stdlib.SignumFunc,
	// strings
	"chomp":         stdlib.ChompFunc,
	"endswith":      stringPredicate("Whether str ends with substr.", strings.HasSuffix),
	"format":        stdlib.FormatFunc,
	"formatlist":    stdlib.FormatListFunc,
	"indent":        stdlib.IndentFunc,
	"join":          stdlib.JoinFunc,
	"lower":         stdlib.LowerFunc,
	"regex":         stdlib.RegexFunc,
	"regexall":      stdlib.RegexAllFunc,
	"regex_replace": stdlib.RegexReplaceFunc,
	"replace":       stdlib.ReplaceFunc,
	"split":         stdlib.SplitFunc,
	"startswith":    stringPredicate("Whether str starts with substr.", strings.HasPrefix),
	"strcontains":   stringPredicate("Whether str contains substr.", strings.Contains),
	"strlen":        stdlib.StrlenFunc,
	"substr":        stdlib.SubstrFunc,
	"title":         stdlib.TitleFunc,
	"trim":          stdlib.TrimFunc,
	"trimprefix":    stdlib.TrimPrefixFunc,
	"trimspace":     stdlib.TrimSpaceFunc,
	"trimsuffix":    stdlib.TrimSuffixFunc,
	"upper":         stdlib.UpperFunc,
	// collections
	"coalesce":     stdlib.CoalesceFunc,
	"coalescelist": stdlib.CoalesceListFunc,
	"compact":      stdlib.CompactFunc,
	"concat":       stdlib.ConcatFunc,
	"contains":     stdlib.ContainsFunc,
	"distinct":     stdlib.DistinctFunc,
	"element":      stdlib.ElementFunc,
	"flatten":      stdlib.FlattenFunc,
	"keys":         stdlib.KeysFunc,
	"length":       stdlib.LengthFunc,
	"lookup":       stdlib.LookupFunc,
	"merge":        stdlib.MergeFunc,
	"reverse":      stdlib.ReverseListFunc,
	"slice":        stdlib.SliceFunc,
	"sort":         stdlib.SortFunc,
	"values":       stdlib.ValuesFunc,
	"zipmap":       stdlib.ZipmapFunc,
	// conversions and encodings
	"jsonencode": stdlib.JSONEncodeFunc,
	"tobool":     stdlib.MakeToFunc(cty.Bool),
	"tonumber":   stdlib.MakeToFunc(cty.Number),
	"tostring":   stdlib.MakeToFunc(cty.String),
	// firebreak
	funcDuration: durationFunc,
	funcSecret:   secretFunc,
}
