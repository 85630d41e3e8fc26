package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// rem names the PgBouncer activities; the worker registers a real
// *remediate.Activities under the same names.
var rem *remediate.Activities

func init() { registerAction(runbooks.KindPgBouncerPoolSize, poolSizeKind{}) }

// poolSizeKind is pgbouncer_pool_size: set a database's pool size through
// PgBouncer's admin console. Its ledger key names the console and the
// database, so two runbooks resizing one pool share one ledger.
type poolSizeKind struct{}

func (poolSizeKind) plan(a *runbooks.Action, s *runbooks.Scope) (actionStep, error) {
	spec, err := a.PoolSize(s)
	if err != nil {
		return nil, err
	}
	return &poolSizeStep{s: spec}, nil
}

type poolSizeStep struct {
	s    runbooks.PoolSizeSpec
	size int64 // decided by read
}

func (p *poolSizeStep) ledger() string {
	return "pgbouncer/" + p.s.AdminDSNSecret + "/" + p.s.Database
}

func (p *poolSizeStep) spec() string { return amountSpec(p.s.Set, p.s.Min, p.s.Max) }

func (p *poolSizeStep) read(ctx workflow.Context, ar *incident.ActionRecord) (priorState, error) {
	var st remediate.PoolState
	in := remediate.PoolReadInput{AdminDSNSecret: p.s.AdminDSNSecret, Database: p.s.Database}
	if err := readCall(ctx, rem.PgBouncerPoolRead, in).Get(ctx, &st); err != nil {
		return nil, err
	}
	p.size = p.s.Set.Apply(st.PoolSize, p.s.Min, p.s.Max)
	ar.Prior, ar.Planned = st.PoolSize, p.size
	ar.Before, ar.After = fmt.Sprintf("pool_size %d", ar.Prior), fmt.Sprintf("pool_size %d", ar.Planned)
	return poolPrior{s: p.s, size: st.PoolSize}, nil
}

func (p *poolSizeStep) apply(ctx workflow.Context) (bool, error) {
	return p.set(ctx, p.size)
}

func (p *poolSizeStep) set(ctx workflow.Context, size int64) (bool, error) {
	var res remediate.PoolSetResult
	in := remediate.PoolSetInput{AdminDSNSecret: p.s.AdminDSNSecret, Database: p.s.Database, Size: size}
	err := workflow.ExecuteActivity(mutateOpts(ctx), rem.PgBouncerPoolSet, in).Get(ctx, &res)
	return res.Changed, err
}

func (p *poolSizeStep) rollout() (remediate.KubeTarget, time.Duration) {
	return remediate.KubeTarget{}, 0
}

// poolPrior is the pool size read before a resize.
type poolPrior struct {
	s    runbooks.PoolSizeSpec
	size int64
}

func (p poolPrior) restore(ctx workflow.Context) error {
	_, err := (&poolSizeStep{s: p.s}).set(ctx, p.size)
	return err
}
