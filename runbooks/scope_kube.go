package runbooks

import (
	"time"

	"github.com/zclconf/go-cty/cty"
)

// KubeView is the outcome of a kubernetes_rollout diagnosis as conditions
// see it. It is defined here rather than taken from the diagnose package so
// that the language does not depend on the activities: the workflow copies
// what the activity returned into it.
type KubeView struct {
	Class   string          // the winning classify class, or "unknown"
	Rollout KubeRolloutView // the workload's rollout state
	Pods    KubePodsView    // summary of its pods
	Events  []KubeEventView // recent events of the workload, its ReplicaSets and pods
	Logs    KubeLogsView    // what the log read found
}

// KubeRolloutView is the rollout state of a workload.
type KubeRolloutView struct {
	Revision    int64         // current revision
	Age         time.Duration // time since the current revision was rolled out, when diagnosed
	Images      []string      // images of the current pod template
	ChangeCause string        // kubernetes.io/change-cause of the current revision, if recorded
	Desired     int64         // spec.replicas
	Updated     int64         // replicas on the current template
	Ready       int64         // ready replicas
	Available   int64         // available replicas
	Complete    bool          // the rollout has finished
}

// KubePodsView summarises a workload's pods.
type KubePodsView struct {
	Total              int64            // pods found
	Ready              int64            // pods Ready
	Restarts           int64            // container restarts, summed
	TerminationReasons map[string]int64 // containers per last termination reason (OOMKilled, Error, ...)
	WaitingReasons     map[string]int64 // containers per waiting reason (CrashLoopBackOff, ...)
}

// KubeEventView is one Kubernetes Event about the workload.
type KubeEventView struct {
	Type    string // Normal or Warning
	Reason  string // e.g. BackOff, FailedScheduling
	Object  string // "Kind/name" of the involved object
	Message string // the event's message, possibly truncated
	Count   int64  // occurrences
}

// KubeLogsView is what the log read found.
type KubeLogsView struct {
	Lines   int64            // log lines read
	Matches map[string]int64 // lines matched per classify class
}

// ClassUnknown is the class of a kubernetes_rollout diagnosis whose logs
// match no classify pattern; it is reserved as a class name.
const ClassUnknown = "unknown"

// Attribute names of a kubernetes_rollout diagnosis in expressions.
const (
	kubeClass   = "class"
	kubeRollout = "rollout"
	kubePods    = "pods"
	kubeEvents  = "events"
	kubeLogs    = "logs"

	kubeMatches            = "matches"
	kubeTerminationReasons = "termination_reasons"
	kubeWaitingReasons     = "waiting_reasons"
)

// Attributes of each diagnosis kind, for the static checks' messages.
var (
	promDiagAttrs = []string{diagValue, diagFound, diagSeries, diagError}
	kubeDiagAttrs = []string{kubeClass, diagError, diagFound, kubeRollout, kubePods, kubeEvents, kubeLogs}
)

// Reasons the pod maps always hold, 0 when no container reported them, so
// that a condition like pods.termination_reasons["OOMKilled"] > 0 never
// fails on a missing key. They are the reasons remediations commonly act
// on; others can be read with lookup(map, reason, 0).
var (
	terminationReasons = []string{"OOMKilled", "Error", "Completed", "ContainerCannotRun", "DeadlineExceeded"}
	waitingReasons     = []string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "InvalidImageName"}
)

var (
	kubeRolloutType = cty.Object(map[string]cty.Type{
		"revision":     cty.Number,
		"age":          cty.Number,
		"images":       cty.List(cty.String),
		"change_cause": cty.String,
		"desired":      cty.Number,
		"updated":      cty.Number,
		"ready":        cty.Number,
		"available":    cty.Number,
		"complete":     cty.Bool,
	})
	kubePodsType = cty.Object(map[string]cty.Type{
		"total":                cty.Number,
		"ready":                cty.Number,
		"restarts":             cty.Number,
		kubeTerminationReasons: cty.Map(cty.Number),
		kubeWaitingReasons:     cty.Map(cty.Number),
	})
	kubeEventType = cty.Object(map[string]cty.Type{
		"type":    cty.String,
		"reason":  cty.String,
		"object":  cty.String,
		"message": cty.String,
		"count":   cty.Number,
	})
	kubeLogsType = cty.Object(map[string]cty.Type{
		"lines":     cty.Number,
		kubeMatches: cty.Map(cty.Number),
	})
	// kubeDiagnosisType is its own type, distinct from diagnosisType, so
	// that reading a prometheus attribute of a kubernetes diagnosis (or the
	// reverse) is a type error found when the runbook is validated.
	kubeDiagnosisType = cty.Object(map[string]cty.Type{
		kubeClass:   cty.String,
		diagError:   cty.String,
		diagFound:   cty.Bool,
		kubeRollout: kubeRolloutType,
		kubePods:    kubePodsType,
		kubeEvents:  cty.List(kubeEventType),
		kubeLogs:    kubeLogsType,
	})
)

// kubeGroupTypes are the object-valued attributes of a kubernetes
// diagnosis, for the static checks' messages.
var kubeGroupTypes = map[string]cty.Type{
	kubeRollout: kubeRolloutType,
	kubePods:    kubePodsType,
	kubeLogs:    kubeLogsType,
}

// kubeDiagnosisValue converts a kubernetes diagnosis for expressions. A
// diagnosis that failed or has not run (Kube nil) reads as zero values with
// class "unknown", so conditions still evaluate; found tells them apart.
func kubeDiagnosisValue(d Diagnosis, classes []string) cty.Value {
	k := d.Kube
	found := k != nil
	if k == nil {
		k = &KubeView{}
	}
	class := k.Class
	if class == "" {
		class = ClassUnknown
	}
	images := make([]cty.Value, 0, len(k.Rollout.Images))
	for _, img := range k.Rollout.Images {
		images = append(images, cty.StringVal(img))
	}
	imageList := cty.ListValEmpty(cty.String)
	if len(images) > 0 {
		imageList = cty.ListVal(images)
	}
	events := make([]cty.Value, 0, len(k.Events))
	for _, e := range k.Events {
		events = append(events, cty.ObjectVal(map[string]cty.Value{
			"type":    cty.StringVal(e.Type),
			"reason":  cty.StringVal(e.Reason),
			"object":  cty.StringVal(e.Object),
			"message": cty.StringVal(e.Message),
			"count":   cty.NumberIntVal(e.Count),
		}))
	}
	eventList := cty.ListValEmpty(kubeEventType)
	if len(events) > 0 {
		eventList = cty.ListVal(events)
	}
	r := k.Rollout
	return cty.ObjectVal(map[string]cty.Value{
		kubeClass: cty.StringVal(class),
		diagError: cty.StringVal(d.Error),
		diagFound: cty.BoolVal(found),
		kubeRollout: cty.ObjectVal(map[string]cty.Value{
			"revision":     cty.NumberIntVal(r.Revision),
			"age":          cty.NumberFloatVal(r.Age.Seconds()),
			"images":       imageList,
			"change_cause": cty.StringVal(r.ChangeCause),
			"desired":      cty.NumberIntVal(r.Desired),
			"updated":      cty.NumberIntVal(r.Updated),
			"ready":        cty.NumberIntVal(r.Ready),
			"available":    cty.NumberIntVal(r.Available),
			"complete":     cty.BoolVal(r.Complete),
		}),
		kubePods: cty.ObjectVal(map[string]cty.Value{
			"total":                cty.NumberIntVal(k.Pods.Total),
			"ready":                cty.NumberIntVal(k.Pods.Ready),
			"restarts":             cty.NumberIntVal(k.Pods.Restarts),
			kubeTerminationReasons: countMap(k.Pods.TerminationReasons, terminationReasons),
			kubeWaitingReasons:     countMap(k.Pods.WaitingReasons, waitingReasons),
		}),
		kubeEvents: eventList,
		kubeLogs: cty.ObjectVal(map[string]cty.Value{
			"lines":     cty.NumberIntVal(k.Logs.Lines),
			kubeMatches: countMap(k.Logs.Matches, classes),
		}),
	})
}

// countMap converts m, adding 0 for every key in always that m lacks.
func countMap(m map[string]int64, always []string) cty.Value {
	vals := make(map[string]cty.Value, len(m)+len(always))
	for k, v := range m {
		vals[k] = cty.NumberIntVal(v)
	}
	for _, k := range always {
		if _, ok := vals[k]; !ok {
			vals[k] = cty.NumberIntVal(0)
		}
	}
	if len(vals) == 0 {
		return cty.MapValEmpty(cty.Number)
	}
	return cty.MapVal(vals)
}
