package diagnose

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/firebreak-dev/firebreak/integrations/kube"
	"github.com/firebreak-dev/firebreak/internal/logging"
)

// ClassUnknown is the class KubeDiagnose reports when no pattern matches
// any log line.
const ClassUnknown = "unknown"

// Bounds that keep a diagnosis small in workflow history.
const (
	defaultLogLines  = 200
	maxLogLines      = 5000
	defaultLogBytes  = 64 << 10
	maxLogBytes      = 1 << 20
	maxLogPods       = 3   // pods whose logs are read, worst first
	maxPodsListed    = 20  // pods described individually
	maxEvents        = 20  // newest events kept
	maxEventsScanned = 500 // events listed from the namespace
	maxHistory       = 5   // revisions kept in Rollout.History
	maxSampleLines   = 5   // log lines quoted for the winning class
	maxTextBytes     = 300 // per message or quoted line
	maxWarnings      = 10
	maxClasses       = 50
)

// Annotations diagnosis reads.
const (
	revisionAnnotation    = "deployment.kubernetes.io/revision"
	changeCauseAnnotation = "kubernetes.io/change-cause"
)

// KubeActivities are the Kubernetes diagnosis activities; one instance is
// registered per worker. They only read.
type KubeActivities struct {
	Client kubernetes.Interface // the cluster read; nil when none is configured
	Log    *slog.Logger         // where outcomes are logged; nil discards
}

// KubeDiagnoseInput names the workload to diagnose and bounds the log read.
type KubeDiagnoseInput struct {
	Kind      string        // "Deployment" or "StatefulSet" (case-insensitive)
	Namespace string        // a DNS-1123 label
	Name      string        // a DNS-1123 subdomain
	LogLines  int64         // tail lines per container log; 0 means 200, at most 5000
	LogBytes  int64         // bytes per container log and in total; 0 means 64 KiB, at most 1 MiB
	Since     time.Duration // only logs newer than this; 0 means no limit
	// Classify maps a class name to a regular expression; the class whose
	// pattern matches the most log lines wins, ties going to the class
	// name first in sort order. No match gives ClassUnknown.
	Classify map[string]string
}

// KubeDiagnosis is what the workflow records and runbooks see as
// diagnosis.<name>.*: plain, JSON-safe and bounded in size.
type KubeDiagnosis struct {
	Kind      string      // the workload kind, normalised
	Namespace string      // its namespace
	Name      string      // its name
	Rollout   KubeRollout // rollout state and recent history
	Pods      KubePods    // pod summary
	Events    []KubeEvent // newest events of the target, its ReplicaSets and pods, at most 20
	Logs      KubeLogs    // what was read from pod logs and how it classified
	Class     string      // the winning class, or ClassUnknown
	Warnings  []string    // parts that could not be read (e.g. logs without a kubelet)
}

// KubeRollout is the workload's rollout state.
type KubeRollout struct {
	Revision      int64                // current revision (Deployment annotation, StatefulSet ControllerRevision)
	Images        []KubeContainerImage // current template's images
	LastRolloutAt time.Time            // creation of the newest ReplicaSet or ControllerRevision
	Age           time.Duration        // time since LastRolloutAt when diagnosed
	ChangeCause   string               // kubernetes.io/change-cause of the current revision, when recorded
	Desired       int32                // spec.replicas
	Updated       int32                // replicas on the current template
	Ready         int32                // ready replicas
	Available     int32                // available replicas
	Complete      bool                 // the rollout has finished
	Conditions    []string             // "Type=Status Reason: message", bounded
	History       []KubeRevision       // newest first, at most 5
}

// KubeContainerImage is one container's image.
type KubeContainerImage struct {
	Container string // container name
	Image     string // image reference
}

// KubeRevision is one entry of the rollout history.
type KubeRevision struct {
	Revision    int64     // the revision number
	Images      []string  // its images
	Created     time.Time // when its ReplicaSet was created
	ChangeCause string    // its change-cause annotation
	Replicas    int32     // pods it still runs
}

// KubePods summarises the workload's pods.
type KubePods struct {
	Total              int            // pods found
	Ready              int            // pods Ready
	Restarts           int64          // container restarts, summed
	Phases             map[string]int // pods per phase
	TerminationReasons map[string]int // containers per last termination reason (OOMKilled, Error, ...)
	WaitingReasons     map[string]int // containers per waiting reason (CrashLoopBackOff, ImagePullBackOff, ...)
	Pods               []KubePod      // worst first, at most 20
}

// KubePod is one pod's state.
type KubePod struct {
	Name                  string    // pod name
	Phase                 string    // pod phase
	Ready                 bool      // Ready condition
	Restarts              int32     // its containers' restarts
	LastTerminationReason string    // the most recent container termination reason
	WaitingReason         string    // a container's current waiting reason
	Node                  string    // node name
	Created               time.Time // creation time
}

// KubeEvent is one Event about the target, its ReplicaSets or its pods.
type KubeEvent struct {
	Type    string    // Normal or Warning
	Reason  string    // e.g. FailedScheduling, BackOff
	Object  string    // "Kind/name" of the involved object
	Message string    // truncated to 300 bytes
	Count   int32     // occurrences
	Last    time.Time // last occurrence
}

// KubeLogs is what the log read found.
type KubeLogs struct {
	Pods    []string       // pods whose logs were read
	Lines   int            // lines read
	Bytes   int            // bytes read
	Matches map[string]int // lines matched per class
	Sample  []string       // up to 5 lines of the winning class, truncated
}

// KubeDiagnose reads the workload's rollout, pods, recent Events and pod
// logs, and classifies the logs (RBAC: get on deployments or
// statefulsets; list on replicasets or controllerrevisions, pods and
// events; get on pods/log). Log failures (no kubelet, a container that
// never started) become warnings, not errors: diagnosis goes on with what
// it has.
//
// Its failures that retrying cannot fix are non-retryable application
// errors with the stable types of package kube: kube.ErrTypeInvalidName
// (the namespace or name, which come from alert labels, is not a valid
// Kubernetes name; refused before any API call), kube.ErrTypeInvalidInput
// (an unsupported kind, out-of-range bounds or a classify pattern that
// does not compile), kube.ErrTypeNotFound (the target does not exist) and
// kube.ErrTypeNotConfigured (the worker has no Kubernetes client).
func (a *KubeActivities) KubeDiagnose(ctx context.Context, in KubeDiagnoseInput) (KubeDiagnosis, error) {
	op := "kubernetes diagnose"
	kind, patterns, err := validateDiagnose(op, &in)
	if err != nil {
		return KubeDiagnosis{}, err
	}
	op = fmt.Sprintf("%s %s %s/%s", op, strings.ToLower(kind), in.Namespace, in.Name)
	if a.Client == nil {
		return KubeDiagnosis{}, temporal.NewNonRetryableApplicationError(op+": no kubernetes cluster is configured", kube.ErrTypeNotConfigured, nil)
	}
	d := &KubeDiagnosis{Kind: kind, Namespace: in.Namespace, Name: in.Name, Class: ClassUnknown}
	var w workload
	if kind == "StatefulSet" {
		w, err = a.statefulSet(ctx, op, in.Namespace, in.Name, d)
	} else {
		w, err = a.deployment(ctx, op, in.Namespace, in.Name, d)
	}
	if err != nil {
		return KubeDiagnosis{}, err
	}
	pods, err := a.pods(ctx, op, w, d)
	if err != nil {
		return KubeDiagnosis{}, err
	}
	if err := a.events(ctx, op, w, pods, d); err != nil {
		d.warn("events: %v", err)
	}
	lines := a.logs(ctx, in, pods, d)
	d.Class, d.Logs.Matches, d.Logs.Sample = classify(lines, patterns)
	a.logger().Info("kubernetes diagnosis", "target", op, "class", d.Class, "pods", d.Pods.Total,
		"ready", d.Pods.Ready, "restarts", d.Pods.Restarts, "revision", d.Rollout.Revision)
	return *d, nil
}

// workload is what the pod, event and log readers need from the target.
type workload struct {
	namespace string
	selector  labels.Selector
	owners    map[types.UID]string // controller UIDs whose pods count, to "Kind/name"
	objects   map[string]bool      // "Kind/name" of the target and its ReplicaSets, for events
}

// deployment fills the rollout from the Deployment and its ReplicaSets.
func (a *KubeActivities) deployment(ctx context.Context, op, ns, name string, d *KubeDiagnosis) (workload, error) {
	dep, err := a.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return workload{}, kubeError(op, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return workload{}, fmt.Errorf("%s: selector: %w", op, err)
	}
	r := &d.Rollout
	r.Revision = parseRevision(dep.Annotations[revisionAnnotation])
	r.Images = templateImages(dep.Spec.Template)
	r.Desired = replicasOf(dep.Spec.Replicas)
	r.Updated, r.Ready, r.Available = dep.Status.UpdatedReplicas, dep.Status.ReadyReplicas, dep.Status.AvailableReplicas
	r.Complete = dep.Status.ObservedGeneration >= dep.Generation && r.Updated == r.Desired &&
		r.Ready == r.Desired && dep.Status.Replicas == r.Desired
	for _, c := range dep.Status.Conditions {
		r.Conditions = append(r.Conditions, truncate(fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)))
	}
	w := workload{namespace: ns, selector: sel, owners: map[types.UID]string{},
		objects: map[string]bool{"Deployment/" + name: true}}

	rss, err := a.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return workload{}, kubeError(op, err)
	}
	var owned []appsv1.ReplicaSet
	for _, rs := range rss.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.UID == dep.UID {
			owned = append(owned, rs)
			w.owners[rs.UID] = "ReplicaSet/" + rs.Name
			w.objects["ReplicaSet/"+rs.Name] = true
		}
	}
	sort.Slice(owned, func(i, j int) bool {
		return parseRevision(owned[i].Annotations[revisionAnnotation]) > parseRevision(owned[j].Annotations[revisionAnnotation])
	})
	for i, rs := range owned {
		created := rs.CreationTimestamp.UTC()
		rev := KubeRevision{
			Revision: parseRevision(rs.Annotations[revisionAnnotation]), Created: created,
			ChangeCause: truncate(rs.Annotations[changeCauseAnnotation]), Replicas: rs.Status.Replicas,
		}
		for _, img := range templateImages(rs.Spec.Template) {
			rev.Images = append(rev.Images, img.Image)
		}
		if i < maxHistory {
			r.History = append(r.History, rev)
		}
		if created.After(r.LastRolloutAt) {
			r.LastRolloutAt = created
		}
		if rev.Revision == r.Revision {
			r.ChangeCause = rev.ChangeCause
		}
	}
	if cause := dep.Annotations[changeCauseAnnotation]; cause != "" {
		r.ChangeCause = truncate(cause)
	}
	if !r.LastRolloutAt.IsZero() {
		r.Age = time.Since(r.LastRolloutAt).Round(time.Second)
	}
	return w, nil
}

// statefulSet fills the rollout from the StatefulSet and its
// ControllerRevisions.
func (a *KubeActivities) statefulSet(ctx context.Context, op, ns, name string, d *KubeDiagnosis) (workload, error) {
	sts, err := a.Client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return workload{}, kubeError(op, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
	if err != nil {
		return workload{}, fmt.Errorf("%s: selector: %w", op, err)
	}
	r := &d.Rollout
	r.Images = templateImages(sts.Spec.Template)
	r.Desired = replicasOf(sts.Spec.Replicas)
	r.Updated, r.Ready, r.Available = sts.Status.UpdatedReplicas, sts.Status.ReadyReplicas, sts.Status.AvailableReplicas
	r.Complete = sts.Status.ObservedGeneration >= sts.Generation && r.Updated == r.Desired &&
		r.Ready == r.Desired && sts.Status.CurrentRevision == sts.Status.UpdateRevision
	r.ChangeCause = truncate(sts.Annotations[changeCauseAnnotation])
	for _, c := range sts.Status.Conditions {
		r.Conditions = append(r.Conditions, truncate(fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)))
	}
	revs, err := a.Client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return workload{}, kubeError(op, err)
	}
	var owned []appsv1.ControllerRevision
	for _, cr := range revs.Items {
		if ref := metav1.GetControllerOf(&cr); ref != nil && ref.UID == sts.UID {
			owned = append(owned, cr)
		}
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].Revision > owned[j].Revision })
	for i, cr := range owned {
		if i < maxHistory {
			r.History = append(r.History, KubeRevision{Revision: cr.Revision, Created: cr.CreationTimestamp.UTC()})
		}
		if cr.Name == sts.Status.UpdateRevision {
			r.Revision = cr.Revision
		}
	}
	if len(owned) > 0 {
		r.LastRolloutAt = owned[0].CreationTimestamp.UTC()
		r.Age = time.Since(r.LastRolloutAt).Round(time.Second)
	}
	return workload{namespace: ns, selector: sel, owners: map[types.UID]string{sts.UID: "StatefulSet/" + name},
		objects: map[string]bool{"StatefulSet/" + name: true}}, nil
}

// pods summarises the target's pods and returns them worst first.
func (a *KubeActivities) pods(ctx context.Context, op string, w workload, d *KubeDiagnosis) ([]corev1.Pod, error) {
	list, err := a.Client.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: w.selector.String()})
	if err != nil {
		return nil, kubeError(op, err)
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && w.owners[ref.UID] != "" {
			pods = append(pods, p)
		}
	}
	s := &d.Pods
	s.Phases, s.TerminationReasons, s.WaitingReasons = map[string]int{}, map[string]int{}, map[string]int{}
	views := make([]KubePod, len(pods))
	for i := range pods {
		p := &pods[i]
		v := KubePod{Name: p.Name, Phase: string(p.Status.Phase), Node: p.Spec.NodeName, Created: p.CreationTimestamp.UTC()}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				v.Ready = c.Status == corev1.ConditionTrue
			}
		}
		var lastFinish time.Time
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			v.Restarts += cs.RestartCount
			if t := cs.LastTerminationState.Terminated; t != nil && t.Reason != "" {
				s.TerminationReasons[t.Reason]++
				if v.LastTerminationReason == "" || t.FinishedAt.After(lastFinish) {
					v.LastTerminationReason, lastFinish = t.Reason, t.FinishedAt.Time
				}
			}
			if wt := cs.State.Waiting; wt != nil && wt.Reason != "" {
				s.WaitingReasons[wt.Reason]++
				v.WaitingReason = wt.Reason
			}
		}
		s.Phases[v.Phase]++
		s.Restarts += int64(v.Restarts)
		if v.Ready {
			s.Ready++
		}
		views[i] = v
	}
	s.Total = len(pods)
	order := make([]int, len(pods))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return worse(views[order[i]], views[order[j]]) })
	sorted := make([]corev1.Pod, len(pods))
	for i, idx := range order {
		sorted[i] = pods[idx]
		if i < maxPodsListed {
			s.Pods = append(s.Pods, views[idx])
		}
	}
	return sorted, nil
}

// worse orders pods worst first: not Ready, most restarts, oldest, name.
func worse(a, b KubePod) bool {
	switch {
	case a.Ready != b.Ready:
		return !a.Ready
	case a.Restarts != b.Restarts:
		return a.Restarts > b.Restarts
	case !a.Created.Equal(b.Created):
		return a.Created.Before(b.Created)
	}
	return a.Name < b.Name
}

// events keeps the newest Events about the target, its ReplicaSets and its
// pods, from one bounded list of the namespace.
func (a *KubeActivities) events(ctx context.Context, op string, w workload, pods []corev1.Pod, d *KubeDiagnosis) error {
	list, err := a.Client.CoreV1().Events(w.namespace).List(ctx, metav1.ListOptions{Limit: maxEventsScanned})
	if err != nil {
		return kubeError(op, err)
	}
	objects := map[string]bool{}
	for o := range w.objects {
		objects[o] = true
	}
	for _, p := range pods {
		objects["Pod/"+p.Name] = true
	}
	for _, e := range list.Items {
		obj := e.InvolvedObject.Kind + "/" + e.InvolvedObject.Name
		if !objects[obj] {
			continue
		}
		d.Events = append(d.Events, KubeEvent{
			Type: e.Type, Reason: e.Reason, Object: obj, Message: truncate(e.Message),
			Count: max(e.Count, 1), Last: eventTime(&e),
		})
	}
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].Last.After(d.Events[j].Last) })
	if len(d.Events) > maxEvents {
		d.Events = d.Events[:maxEvents]
	}
	return nil
}

// eventTime is the last time an Event was seen, whichever field records it.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.UTC()
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.UTC()
	case !e.EventTime.IsZero():
		return e.EventTime.UTC()
	}
	return e.CreationTimestamp.UTC()
}

// logs reads the tails of the worst pods' containers (and their previous
// instance when they restarted) within the line and byte bounds, and
// returns the lines. Errors become warnings.
func (a *KubeActivities) logs(ctx context.Context, in KubeDiagnoseInput, pods []corev1.Pod, d *KubeDiagnosis) []string {
	var lines []string
	budget := in.LogBytes
	for i := 0; i < len(pods) && i < maxLogPods && budget > 0; i++ {
		p := &pods[i]
		d.Logs.Pods = append(d.Logs.Pods, p.Name)
		for _, c := range p.Spec.Containers {
			restarted := false
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Name == c.Name && cs.RestartCount > 0 {
					restarted = true
				}
			}
			for _, previous := range []bool{false, true} {
				if (previous && !restarted) || budget <= 0 {
					continue
				}
				opts := &corev1.PodLogOptions{Container: c.Name, Previous: previous, TailLines: &in.LogLines, LimitBytes: &budget}
				if in.Since > 0 {
					secs := int64(in.Since / time.Second)
					opts.SinceSeconds = &secs
				}
				raw, err := a.Client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).DoRaw(ctx)
				if err != nil {
					d.warn("logs of %s/%s (previous=%v): %v", p.Name, c.Name, previous, err)
					continue
				}
				if int64(len(raw)) > budget {
					raw = raw[:budget]
				}
				budget -= int64(len(raw))
				d.Logs.Bytes += len(raw)
				for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
					if l != "" {
						lines = append(lines, l)
					}
				}
			}
		}
	}
	d.Logs.Lines = len(lines)
	return lines
}

// namedPattern is one compiled classify pattern.
type namedPattern struct {
	class string
	re    *regexp.Regexp
}

// classify counts, per class, the lines its pattern matches, and picks the
// class with the most matches, ties going to the first class in sort order.
// It returns ClassUnknown when nothing matched, the per-class counts, and up
// to maxSampleLines lines of the winner.
func classify(lines []string, patterns []namedPattern) (string, map[string]int, []string) {
	matches := map[string]int{}
	best, bestN := ClassUnknown, 0
	for _, p := range patterns {
		n := 0
		for _, l := range lines {
			if p.re.MatchString(l) {
				n++
			}
		}
		matches[p.class] = n
		if n > bestN {
			best, bestN = p.class, n
		}
	}
	var sample []string
	if bestN > 0 {
		for _, p := range patterns {
			if p.class != best {
				continue
			}
			for _, l := range lines {
				if len(sample) < maxSampleLines && p.re.MatchString(l) {
					sample = append(sample, truncate(l))
				}
			}
		}
	}
	return best, matches, sample
}

// validateDiagnose checks and defaults the input before any API call and
// compiles the patterns in class-name order.
func validateDiagnose(op string, in *KubeDiagnoseInput) (string, []namedPattern, error) {
	var kind string
	switch strings.ToLower(in.Kind) {
	case "deployment":
		kind = "Deployment"
	case "statefulset":
		kind = "StatefulSet"
	default:
		return "", nil, invalidKubeInput(op, "kind %q is not supported (want Deployment or StatefulSet)", in.Kind)
	}
	if err := kube.ValidateNamespaced(in.Namespace, kube.WorkloadName, in.Name); err != nil {
		return "", nil, invalidKubeName(op, err)
	}
	switch {
	case in.LogLines == 0:
		in.LogLines = defaultLogLines
	case in.LogLines < 0 || in.LogLines > maxLogLines:
		return "", nil, invalidKubeInput(op, "log lines %d outside 1..%d", in.LogLines, maxLogLines)
	}
	switch {
	case in.LogBytes == 0:
		in.LogBytes = defaultLogBytes
	case in.LogBytes < 0 || in.LogBytes > maxLogBytes:
		return "", nil, invalidKubeInput(op, "log bytes %d outside 1..%d", in.LogBytes, maxLogBytes)
	}
	if in.Since < 0 {
		return "", nil, invalidKubeInput(op, "negative since %s", in.Since)
	}
	if len(in.Classify) > maxClasses {
		return "", nil, invalidKubeInput(op, "%d classify patterns exceed %d", len(in.Classify), maxClasses)
	}
	classes := make([]string, 0, len(in.Classify))
	for c := range in.Classify {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	patterns := make([]namedPattern, 0, len(classes))
	for _, c := range classes {
		re, err := regexp.Compile(in.Classify[c])
		if err != nil {
			return "", nil, invalidKubeInput(op, "classify %q: %v", c, err)
		}
		patterns = append(patterns, namedPattern{class: c, re: re})
	}
	return kind, patterns, nil
}

// kubeError classifies an API error: a missing target is non-retryable,
// anything else is retried by the retry policy. Unlike remediation,
// diagnosis leaves forbidden and rejected requests to the retry policy too.
func kubeError(op string, err error) error {
	if typ, _ := kube.Classify(err); typ == kube.ErrTypeNotFound {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", op, err), typ, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// invalidKubeName is the refusal of a name kube rejected.
func invalidKubeName(op string, err error) error {
	return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), kube.ErrTypeInvalidName, nil)
}

func invalidKubeInput(op, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %s", op, fmt.Sprintf(format, args...)), kube.ErrTypeInvalidInput, nil)
}

// warn records a bounded warning.
func (d *KubeDiagnosis) warn(format string, args ...any) {
	if len(d.Warnings) < maxWarnings {
		d.Warnings = append(d.Warnings, truncate(fmt.Sprintf(format, args...)))
	}
}

// templateImages lists a template's container images.
func templateImages(t corev1.PodTemplateSpec) []KubeContainerImage {
	var out []KubeContainerImage
	for _, c := range t.Spec.Containers {
		out = append(out, KubeContainerImage{Container: c.Name, Image: c.Image})
	}
	return out
}

func parseRevision(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func replicasOf(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

// truncate bounds text recorded in history, keeping valid UTF-8.
func truncate(s string) string {
	if len(s) <= maxTextBytes {
		return s
	}
	return strings.ToValidUTF8(s[:maxTextBytes], "") + "..."
}

// logger returns the configured logger or one that discards.
func (a *KubeActivities) logger() *slog.Logger { return logging.OrDiscard(a.Log) }
