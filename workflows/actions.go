package workflows

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/remediate"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// Kubernetes activity receivers, named like the others.
var (
	kdiag *diagnose.KubeActivities
	krem  *remediate.KubeActivities
)

// actionPlan is one action with its parameters evaluated for this alert.
// Exactly one of pool and kube is set.
type actionPlan struct {
	action *runbooks.Action
	target string // the guardrail ledger's key
	pool   *runbooks.PoolSizeSpec
	kube   *runbooks.KubeActionSpec
}

// appliedAction is what undoing an applied action needs: the state read
// before it, exactly as the read activity returned it.
type appliedAction struct {
	plan   actionPlan
	record int // index in State.Actions
	prior  any
}

func (r *incidentRun) plan(m *runbooks.Remediation) ([]actionPlan, error) {
	plans := make([]actionPlan, 0, len(m.Actions))
	for _, a := range m.Actions {
		switch a.Kind {
		case runbooks.KindPgBouncerPoolSize:
			spec, err := a.PoolSize(&r.scope)
			if err != nil {
				return nil, fmt.Errorf("action %q refused: %v", a.Name, err)
			}
			plans = append(plans, actionPlan{action: a, pool: &spec, target: "pgbouncer/" + spec.AdminDSNSecret + "/" + spec.Database})
		case runbooks.KindKubeScale, runbooks.KindKubeRestart, runbooks.KindKubeRollback, runbooks.KindKubeDeletePod,
			runbooks.KindKubeSetEnv, runbooks.KindKubePatchConfigMap:
			spec, err := a.Kube(&r.scope)
			if err != nil {
				return nil, fmt.Errorf("action %q refused: %v", a.Name, err)
			}
			plans = append(plans, actionPlan{action: a, kube: &spec, target: spec.Target.Key()})
		default:
			return nil, fmt.Errorf("action %q: kind %q is not supported by this worker", a.Name, a.Kind)
		}
	}
	return plans, nil
}

// act runs the actions in order: read the target's state, resolve the plan
// once from it, then set it (or, in a dry run, only record the plan). It
// returns done=true with an outcome when the run must end here: the alert
// resolved, automation was paused, or an action failed.
func (r *incidentRun) act(ctx workflow.Context, plans []actionPlan) (outcome, bool) {
	for _, p := range plans {
		if r.resolved {
			return outcome{incident.OutcomeStopped, fmt.Sprintf("alert resolved before action %q", p.action.Name)}, true
		}
		if why := r.halted(ctx); why != "" && !r.dryRun {
			return outcome{incident.OutcomeEscalated, fmt.Sprintf("stopped before action %q: %s", p.action.Name, why)}, true
		}
		ar := incident.ActionRecord{Name: p.action.Name, Kind: p.action.Kind, Target: p.target, DryRun: r.dryRun}
		var (
			out  outcome
			done bool
		)
		if p.pool != nil {
			out, done = r.actPool(ctx, p, &ar)
		} else {
			out, done = r.actKube(ctx, p, &ar)
		}
		if done {
			return out, true
		}
	}
	return outcome{}, false
}

// finishAction records an action's result; failed says it could not be
// done (the error is in ar.Error).
func (r *incidentRun) finishAction(ctx workflow.Context, ar incident.ActionRecord, prior any, p actionPlan) {
	ar.At = workflow.Now(ctx)
	r.st.Actions = append(r.st.Actions, ar)
	switch {
	case ar.Error != "":
		r.recordAction(ctx, ar.Kind, "failed")
	case ar.DryRun:
		r.event(ctx, "action", fmt.Sprintf("dry run: %s would change %s: %s → %s", ar.Name, ar.Target, ar.Before, ar.After))
		r.recordAction(ctx, ar.Kind, "dry_run")
	default:
		r.acted = append(r.acted, ar.At)
		r.applied = append(r.applied, appliedAction{plan: p, record: len(r.st.Actions) - 1, prior: prior})
		result := "applied"
		if !ar.Changed {
			result = "unchanged"
		}
		r.event(ctx, "action", fmt.Sprintf("%s changed %s: %s → %s (%s)", ar.Name, ar.Target, ar.Before, ar.After, result))
		r.recordAction(ctx, ar.Kind, result)
	}
}

func (r *incidentRun) actPool(ctx workflow.Context, p actionPlan, ar *incident.ActionRecord) (outcome, bool) {
	spec := p.pool
	ar.Spec = specString(*spec)
	var state remediate.PoolState
	err := workflow.ExecuteActivity(queryOpts(ctx), rem.PgBouncerPoolRead,
		remediate.PoolReadInput{AdminDSNSecret: spec.AdminDSNSecret, Database: spec.Database}).Get(ctx, &state)
	if err != nil {
		ar.Error = errorMessage(err)
		r.finishAction(ctx, *ar, nil, p)
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("action %q could not read its target: %s", p.action.Name, ar.Error)}, true
	}
	ar.Prior = state.PoolSize
	ar.Planned = spec.Set.Apply(state.PoolSize, spec.Min, spec.Max)
	ar.Before, ar.After = fmt.Sprintf("pool_size %d", ar.Prior), fmt.Sprintf("pool_size %d", ar.Planned)
	if r.dryRun {
		r.finishAction(ctx, *ar, nil, p)
		return outcome{}, false
	}
	if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
		return out, true
	}
	ar.StartedAt = workflow.Now(ctx)
	var res remediate.PoolSetResult
	err = workflow.ExecuteActivity(mutateOpts(ctx), rem.PgBouncerPoolSet,
		remediate.PoolSetInput{AdminDSNSecret: spec.AdminDSNSecret, Database: spec.Database, Size: ar.Planned}).Get(ctx, &res)
	if err != nil {
		ar.Error = errorMessage(err)
		r.finishAction(ctx, *ar, nil, p)
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("action %q failed: %s", p.action.Name, ar.Error)}, true
	}
	ar.Applied, ar.Changed = true, res.Changed
	r.finishAction(ctx, *ar, state, p)
	return outcome{}, false
}

func kubeTarget(t runbooks.TargetRef) remediate.KubeTarget {
	return remediate.KubeTarget{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name}
}

// actKube runs one Kubernetes action: a read that records the prior state
// (and from which relative amounts are resolved, once), then an apply that
// sets an absolute desired state, so a retried or replayed apply changes
// nothing twice.
func (r *incidentRun) actKube(ctx workflow.Context, p actionPlan, ar *incident.ActionRecord) (outcome, bool) {
	spec := p.kube
	t := kubeTarget(spec.Target)
	qctx, mctx := queryOpts(ctx), kubeMutateOpts(ctx)
	fail := func(what string, err error) (outcome, bool) {
		ar.Error = errorMessage(err)
		r.finishAction(ctx, *ar, nil, p)
		return outcome{incident.OutcomeEscalated, fmt.Sprintf("action %q %s: %s", p.action.Name, what, ar.Error)}, true
	}
	var prior any
	switch p.action.Kind {
	case runbooks.KindKubeScale:
		ar.Spec = amountSpec(spec.Set, spec.Min, spec.Max)
		var st remediate.KubeScaleState
		if err := workflow.ExecuteActivity(qctx, krem.KubeScaleRead, remediate.KubeScaleReadInput{Target: t}).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		ar.Prior = int64(st.Replicas)
		ar.Planned = min(spec.Set.Apply(ar.Prior, spec.Min, spec.Max), remediate.MaxKubeReplicas)
		ar.Before, ar.After = fmt.Sprintf("replicas %d", ar.Prior), fmt.Sprintf("replicas %d", ar.Planned)
		prior = st
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeScaleResult
			in := remediate.KubeScaleApplyInput{Target: st.Target, Replicas: int32(ar.Planned)}
			if err := workflow.ExecuteActivity(mctx, krem.KubeScaleApply, in).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Changed
		}
	case runbooks.KindKubeRestart:
		var st remediate.KubeRestartState
		if err := workflow.ExecuteActivity(qctx, krem.KubeRestartRead, remediate.KubeRestartReadInput{Target: t}).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		// The stamp comes from workflow time, so a retried apply sets the
		// same value and the pods roll once.
		stamp := workflow.Now(ctx).UTC().Format(time.RFC3339)
		ar.Before, ar.After = "restartedAt "+orNone(st.RestartedAt), "restartedAt "+stamp
		prior = st
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeRestartResult
			in := remediate.KubeRestartApplyInput{Target: st.Target, RestartedAt: stamp}
			if err := workflow.ExecuteActivity(mctx, krem.KubeRestartApply, in).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Changed
		}
	case runbooks.KindKubeRollback:
		var st remediate.KubeRollbackState
		if err := workflow.ExecuteActivity(qctx, krem.KubeRollbackRead, remediate.KubeRollbackReadInput{Target: t}).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		ar.Prior, ar.Planned = st.Current.Revision, st.Previous.Revision
		ar.Before = fmt.Sprintf("revision %d (%s)", st.Current.Revision, imageList(st.Current.Images))
		ar.After = fmt.Sprintf("template of revision %d (%s)", st.Previous.Revision, imageList(st.Previous.Images))
		prior = st
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeRollbackResult
			in := remediate.KubeRollbackApplyInput{Target: st.Target, Template: st.Previous}
			if err := workflow.ExecuteActivity(mctx, krem.KubeRollbackApply, in).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Changed
		}
	case runbooks.KindKubeDeletePod:
		var st remediate.KubePodChoice
		if err := workflow.ExecuteActivity(qctx, krem.KubeDeletePodRead, remediate.KubeDeletePodReadInput{Target: t}).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		ar.Before = fmt.Sprintf("pod %s (ready=%t, %d restarts; worst of %d)", st.Pod, st.Ready, st.Restarts, st.Candidates)
		ar.After = "pod " + st.Pod + " deleted"
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeDeletePodResult
			in := remediate.KubeDeletePodInput{Namespace: st.Namespace, Pod: st.Pod, UID: st.UID}
			if err := workflow.ExecuteActivity(mctx, krem.KubeDeletePodApply, in).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Deleted
		}
	case runbooks.KindKubeSetEnv:
		var st remediate.KubeEnvState
		in := remediate.KubeEnvReadInput{Target: t, Container: spec.Container, Name: spec.Name}
		if err := workflow.ExecuteActivity(qctx, krem.KubeSetEnvRead, in).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		ar.Before = fmt.Sprintf("%s/%s=%s", st.Container, st.Name, envText(st))
		ar.After = fmt.Sprintf("%s/%s=%q", st.Container, st.Name, spec.Value)
		prior = st
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeEnvResult
			apply := remediate.KubeSetEnvInput{Target: st.Target, Container: st.Container, Name: spec.Name, Value: spec.Value}
			if err := workflow.ExecuteActivity(mctx, krem.KubeSetEnvApply, apply).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Changed
		}
	case runbooks.KindKubePatchConfigMap:
		var st remediate.KubeConfigMapState
		in := remediate.KubeConfigMapKeyInput{Namespace: spec.Target.Namespace, Name: spec.Target.Name, Key: spec.Key}
		if err := workflow.ExecuteActivity(qctx, krem.KubeConfigMapRead, in).Get(ctx, &st); err != nil {
			return fail("could not read its target", err)
		}
		ar.Before = spec.Key + "=" + orNone(quoteIf(st.Present, st.Value))
		ar.After = fmt.Sprintf("%s=%q", spec.Key, spec.Value)
		prior = st
		if out, stop := r.stopBeforeApply(ctx, p, ar); stop {
			return out, true
		}
		if !r.dryRun {
			ar.StartedAt = workflow.Now(ctx)
			var res remediate.KubeConfigMapResult
			apply := remediate.KubeConfigMapSetInput{Namespace: st.Namespace, Name: st.Name, Key: st.Key, Value: spec.Value}
			if err := workflow.ExecuteActivity(mctx, krem.KubeConfigMapApply, apply).Get(ctx, &res); err != nil {
				return fail("failed", err)
			}
			ar.Applied, ar.Changed = true, res.Changed
		}
	default:
		return fail("is not supported", fmt.Errorf("kind %s", p.action.Kind))
	}
	r.finishAction(ctx, *ar, prior, p)
	if !r.dryRun && spec.Wait > 0 && ar.Changed {
		r.waitRollout(ctx, t, spec.Wait)
	}
	return outcome{}, false
}

// stopBeforeApply checks the kill switch and storm mode once more between
// an action's read and its apply: a pause that arrived while the state was
// being read stops the action before it mutates anything.
func (r *incidentRun) stopBeforeApply(ctx workflow.Context, p actionPlan, ar *incident.ActionRecord) (outcome, bool) {
	if r.dryRun {
		return outcome{}, false
	}
	why := r.halted(ctx)
	if why == "" {
		return outcome{}, false
	}
	ar.Error = "not applied: " + why
	ar.At = workflow.Now(ctx)
	r.st.Actions = append(r.st.Actions, *ar)
	return outcome{incident.OutcomeEscalated, fmt.Sprintf("stopped before action %q: %s", p.action.Name, why)}, true
}

// waitRollout waits for the target's rollout after an action; an
// unfinished rollout is recorded, and verification decides.
func (r *incidentRun) waitRollout(ctx workflow.Context, t remediate.KubeTarget, wait time.Duration) {
	var st remediate.KubeRolloutStatus
	err := workflow.ExecuteActivity(kubeWaitOpts(ctx, wait), krem.KubeRolloutWait,
		remediate.KubeRolloutWaitInput{Target: t, Timeout: wait}).Get(ctx, &st)
	switch {
	case err != nil:
		r.event(ctx, "action", fmt.Sprintf("waiting for the rollout of %s failed: %s", t, errorMessage(err)))
	case st.Complete:
		r.event(ctx, "action", fmt.Sprintf("rollout of %s complete: %d/%d ready after %s", t, st.Ready, st.Desired, st.Waited.Round(time.Second)))
	default:
		r.event(ctx, "action", fmt.Sprintf("rollout of %s not complete after %s: %d/%d updated, %d ready", t, wait, st.Updated, st.Desired, st.Ready))
	}
}

// rollback undoes the applied actions, newest first, returning each target
// to the state read before it was changed. It never runs while automation
// is paused: restoring is a mutation too.
func (r *incidentRun) rollback(ctx workflow.Context) string {
	if len(r.applied) == 0 {
		return "nothing to roll back"
	}
	if why := r.halted(ctx); why != "" {
		r.event(ctx, "rollback", "rollback skipped: "+why)
		return "rollback skipped: " + why
	}
	mctx := kubeMutateOpts(ctx)
	var done, failed []string
	for i := len(r.applied) - 1; i >= 0; i-- {
		a := r.applied[i]
		rec := &r.st.Actions[a.record]
		var err error
		switch prior := a.prior.(type) {
		case remediate.PoolState:
			err = workflow.ExecuteActivity(mutateOpts(ctx), rem.PgBouncerPoolSet, remediate.PoolSetInput{
				AdminDSNSecret: a.plan.pool.AdminDSNSecret, Database: a.plan.pool.Database, Size: prior.PoolSize}).Get(ctx, nil)
		case remediate.KubeScaleState:
			err = workflow.ExecuteActivity(mctx, krem.KubeScaleRestore, prior).Get(ctx, nil)
		case remediate.KubeRestartState:
			err = workflow.ExecuteActivity(mctx, krem.KubeRestartRestore, prior).Get(ctx, nil)
		case remediate.KubeRollbackState:
			err = workflow.ExecuteActivity(mctx, krem.KubeRollbackRestore, prior).Get(ctx, nil)
		case remediate.KubeEnvState:
			err = workflow.ExecuteActivity(mctx, krem.KubeSetEnvRestore, prior).Get(ctx, nil)
		case remediate.KubeConfigMapState:
			err = workflow.ExecuteActivity(mctx, krem.KubeConfigMapRestore, prior).Get(ctx, nil)
		default:
			rec.RestoreError = "this action cannot be restored"
			failed = append(failed, rec.Name+": cannot be restored")
			continue
		}
		if err != nil {
			rec.RestoreError = errorMessage(err)
			failed = append(failed, rec.Name+": "+rec.RestoreError)
			r.recordAction(ctx, rec.Kind+"_restore", "failed")
			continue
		}
		rec.Restored = true
		done = append(done, fmt.Sprintf("%s (%s back to %s)", rec.Name, rec.Target, rec.Before))
		r.recordAction(ctx, rec.Kind+"_restore", "applied")
	}
	msg := "rolled back " + strings.Join(done, ", ")
	if len(done) == 0 {
		msg = "rollback failed"
	}
	if len(failed) > 0 {
		msg += "; could not restore " + strings.Join(failed, "; ")
	}
	r.event(ctx, "rollback", msg)
	return msg
}

// diagnoseKube runs a kubernetes_rollout diagnosis.
func (r *incidentRun) diagnoseKube(ctx workflow.Context, d *runbooks.Diagnose) string {
	rec := incident.DiagnosisRecord{Name: d.Name}
	failed := func(msg string) string {
		rec.Error = msg
		r.st.Diagnosis = append(r.st.Diagnosis, rec)
		r.scope.Diagnosis[d.Name] = runbooks.Diagnosis{Error: msg}
		r.event(ctx, "diagnosis", fmt.Sprintf("%s failed: %s", d.Name, msg))
		return fmt.Sprintf("diagnosis %q failed: %s", d.Name, msg)
	}
	spec, err := d.KubeRollout(&r.scope)
	if err != nil {
		return failed(err.Error())
	}
	rec.Query = "kubernetes_rollout " + spec.Target.String()
	var res diagnose.KubeDiagnosis
	in := diagnose.KubeDiagnoseInput{Kind: spec.Target.Kind, Namespace: spec.Target.Namespace, Name: spec.Target.Name,
		LogLines: spec.LogLines, LogBytes: spec.LogBytes, Since: spec.Since, Classify: spec.Classify}
	if err := workflow.ExecuteActivity(queryOpts(ctx), kdiag.KubeDiagnose, in).Get(ctx, &res); err != nil {
		return failed(errorMessage(err))
	}
	view := kubeView(res)
	rec.Found, rec.Class = true, res.Class
	rec.Summary = kubeSummary(res)
	r.st.Diagnosis = append(r.st.Diagnosis, rec)
	r.scope.Diagnosis[d.Name] = runbooks.Diagnosis{Found: true, Kube: &view}
	r.event(ctx, "diagnosis", fmt.Sprintf("%s: %s", d.Name, rec.Summary))
	return ""
}

// kubeView turns the activity's diagnosis into what runbook expressions see.
func kubeView(d diagnose.KubeDiagnosis) runbooks.KubeView {
	v := runbooks.KubeView{
		Class: d.Class,
		Rollout: runbooks.KubeRolloutView{
			Revision: d.Rollout.Revision, Age: d.Rollout.Age, ChangeCause: d.Rollout.ChangeCause,
			Desired: int64(d.Rollout.Desired), Updated: int64(d.Rollout.Updated), Ready: int64(d.Rollout.Ready),
			Available: int64(d.Rollout.Available), Complete: d.Rollout.Complete,
		},
		Pods: runbooks.KubePodsView{
			Total: int64(d.Pods.Total), Ready: int64(d.Pods.Ready), Restarts: d.Pods.Restarts,
			TerminationReasons: int64Map(d.Pods.TerminationReasons), WaitingReasons: int64Map(d.Pods.WaitingReasons),
		},
		Logs: runbooks.KubeLogsView{Lines: int64(d.Logs.Lines), Matches: int64Map(d.Logs.Matches)},
	}
	for _, img := range d.Rollout.Images {
		v.Rollout.Images = append(v.Rollout.Images, img.Image)
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, runbooks.KubeEventView{Type: e.Type, Reason: e.Reason, Object: e.Object, Message: e.Message, Count: int64(e.Count)})
	}
	return v
}

func int64Map(m map[string]int) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = int64(v)
	}
	return out
}

// kubeSummary is a Kubernetes diagnosis in one line, for the timeline and
// escalations.
func kubeSummary(d diagnose.KubeDiagnosis) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s revision %d", strings.ToLower(d.Kind), d.Namespace, d.Name, d.Rollout.Revision)
	if !d.Rollout.LastRolloutAt.IsZero() {
		fmt.Fprintf(&b, " rolled out %s ago", d.Rollout.Age.Round(time.Second))
	}
	imgs := make([]string, 0, len(d.Rollout.Images))
	for _, i := range d.Rollout.Images {
		imgs = append(imgs, i.Container+"="+i.Image)
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(imgs, ", "))
	if d.Rollout.ChangeCause != "" {
		fmt.Fprintf(&b, " change-cause %q", d.Rollout.ChangeCause)
	}
	fmt.Fprintf(&b, "; pods %d/%d ready, %d restarts", d.Pods.Ready, d.Pods.Total, d.Pods.Restarts)
	for _, m := range []map[string]int{d.Pods.TerminationReasons, d.Pods.WaitingReasons} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, ", %s×%d", k, m[k])
		}
	}
	fmt.Fprintf(&b, "; logs %d lines, class %s", d.Logs.Lines, d.Class)
	if len(d.Warnings) > 0 {
		fmt.Fprintf(&b, "; %d warning(s): %s", len(d.Warnings), d.Warnings[0])
	}
	return b.String()
}

func amountSpec(a runbooks.Amount, lo, hi *int64) string {
	out := a.String()
	if lo != nil {
		out += fmt.Sprintf(" min %d", *lo)
	}
	if hi != nil {
		out += fmt.Sprintf(" max %d", *hi)
	}
	return out
}

func imageList(images []remediate.KubeContainerImage) string {
	parts := make([]string, 0, len(images))
	for _, i := range images {
		parts = append(parts, i.Container+"="+i.Image)
	}
	return strings.Join(parts, ", ")
}

func envText(st remediate.KubeEnvState) string {
	switch {
	case !st.Present:
		return "(unset)"
	case st.ValueFrom != nil:
		return "(from a reference)"
	}
	return fmt.Sprintf("%q", st.Value)
}

func quoteIf(present bool, v string) string {
	if !present {
		return ""
	}
	return fmt.Sprintf("%q", v)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
