package workflows

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firebreak-dev/firebreak/diagnose"
	"github.com/firebreak-dev/firebreak/internal/incident"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// kdiag names the Kubernetes diagnosis activity; the worker registers a
// real *diagnose.KubeActivities under the same name.
var kdiag *diagnose.KubeActivities

func init() { registerDiagnosis(runbooks.DiagnoseKubeRollout, (*incidentRun).diagnoseKube) }

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
