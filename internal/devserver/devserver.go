// Package devserver runs a Temporal server inside the firebreak process, with
// its state in SQLite files on disk and the Temporal Web UI beside it, so that
// `firebreak dev` and integration tests need no Temporal installation, no
// Docker and no network access.
//
// The server follows the shape of the Temporal CLI's `start-dev`: all four
// services in one process with static membership on the loopback address, a
// pre-registered namespace, and no metrics or pprof listeners. It differs in
// its storage settings (WAL, synchronous=NORMAL, a separate visibility file),
// which measured about twice as fast on this project's machines, and in that
// a state directory is always on disk and survives a killed process.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// Defaults applied by Start to zero-valued Options fields.
const (
	// DefaultHost keeps every listener on the loopback interface: a dev
	// server has no authentication and must not be reachable from the network.
	DefaultHost = "127.0.0.1"
	// DefaultNamespace is the namespace SDK clients use when given none, so a
	// worker started with default options finds its workflows.
	DefaultNamespace = "default"
)

// clusterName is the single cluster's name recorded in the state. It must
// stay the same across versions of this package: namespaces are bound to it.
const clusterName = "active"

// Options configures Start. The zero value, apart from StateDir, gives a
// server on 127.0.0.1 with free ports, the Web UI, and the "default"
// namespace.
type Options struct {
	// StateDir holds the SQLite files and the lock file; it is created if
	// missing. Reusing a directory resumes every workflow recorded in it.
	StateDir string
	// Host is the IP address every listener binds; it defaults to 127.0.0.1.
	// It must be an IP literal because Temporal binds it as given.
	Host string
	// FrontendPort is the gRPC port clients and workers dial; 0 picks a free
	// one, which tests want, while `firebreak dev` passes a fixed port so
	// that workers can find it.
	FrontendPort int
	// UIPort is the Web UI's HTTP port; 0 picks a free one and -1 disables
	// the UI (tests do not need it and it costs a listener and goroutines).
	UIPort int
	// Namespace is registered on a new state (and on an existing one that
	// lacks it); it defaults to "default".
	Namespace string
	// Logger receives the server's warnings and errors; Temporal's debug and
	// info lines are dropped because they drown everything else. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Server is a running embedded Temporal server and, unless disabled, its Web
// UI. Its methods are safe for concurrent use.
type Server struct {
	temporal     temporal.Server
	logger       serverLogger
	ui           *uiserver.Server
	uiDone       chan struct{} // closed when the UI server's Start returns
	lock         *stateLock
	frontendAddr string
	uiURL        string
	namespace    string

	stopOnce sync.Once
	stopErr  error
}

// Start starts a server on opts.StateDir and returns once an SDK client can
// connect and use the namespace, so callers may start workers and workflows
// at once. On a new state it creates the schema and the namespace first. ctx
// bounds the whole start-up; on error nothing is left running.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	lock, err := lockStateDir(opts.StateDir)
	if err != nil {
		return nil, err
	}
	s, err := start(ctx, opts, lock)
	if err != nil {
		_ = lock.release()
		return nil, fmt.Errorf("start dev server on %s: %w", opts.StateDir, err)
	}
	return s, nil
}

func withDefaults(opts Options) (Options, error) {
	if opts.StateDir == "" {
		return opts, errors.New("start dev server: Options.StateDir is required")
	}
	abs, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return opts, fmt.Errorf("start dev server: state dir: %w", err)
	}
	opts.StateDir = abs
	if opts.Host == "" {
		opts.Host = DefaultHost
	}
	if net.ParseIP(opts.Host) == nil {
		return opts, fmt.Errorf("start dev server: host %q is not an IP address", opts.Host)
	}
	if opts.FrontendPort < 0 || opts.FrontendPort > 65535 {
		return opts, fmt.Errorf("start dev server: frontend port %d out of range", opts.FrontendPort)
	}
	if opts.UIPort < -1 || opts.UIPort > 65535 {
		return opts, fmt.Errorf("start dev server: UI port %d out of range", opts.UIPort)
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return opts, nil
}

func start(ctx context.Context, opts Options, lock *stateLock) (*Server, error) {
	// Ports: the ones asked for must be free now, the others are picked.
	want := 3 // history, matching, worker
	if opts.FrontendPort == 0 {
		want++
	}
	if opts.UIPort == 0 {
		want++
	}
	picked, err := pickFreePorts(opts.Host, want)
	if err != nil {
		return nil, err
	}
	next := func() int { p := picked[0]; picked = picked[1:]; return p }
	if opts.FrontendPort == 0 {
		opts.FrontendPort = next()
	} else if err := checkPortFree(opts.Host, opts.FrontendPort, "frontend"); err != nil {
		return nil, err
	}
	if opts.UIPort == 0 {
		opts.UIPort = next()
	} else if opts.UIPort > 0 {
		if err := checkPortFree(opts.Host, opts.UIPort, "web UI"); err != nil {
			return nil, err
		}
	}
	ports := map[primitives.ServiceName]int{
		primitives.FrontendService: opts.FrontendPort,
		primitives.HistoryService:  next(),
		primitives.MatchingService: next(),
		primitives.WorkerService:   next(),
	}

	// Storage: schema on a new file, namespace if missing.
	sts := stores(opts.StateDir)
	for _, st := range sts {
		if _, err := prepareStore(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := ensureNamespace(sts[0].path, clusterName, opts.Namespace); err != nil {
		return nil, err
	}

	logger := newServerLogger(opts.Logger)
	srv, err := newTemporal(opts, logger, ports, sts)
	if err != nil {
		return nil, err
	}
	if err := startTemporal(ctx, srv, logger); err != nil {
		return nil, err
	}

	s := &Server{
		temporal:     srv,
		logger:       logger,
		lock:         lock,
		frontendAddr: hostPort(opts.Host, opts.FrontendPort),
		namespace:    opts.Namespace,
	}
	if err := waitNamespace(ctx, s.frontendAddr, s.namespace); err != nil {
		logger.stopping.Store(true)
		_ = srv.Stop()
		return nil, err
	}
	if opts.UIPort > 0 {
		if err := s.startUI(ctx, opts); err != nil {
			logger.stopping.Store(true)
			_ = srv.Stop()
			return nil, err
		}
	}
	return s, nil
}

// newTemporal builds the server configuration. Everything binds opts.Host;
// membership is static (no ringpop ports, no gossip) because all services
// live in this process; metrics, pprof and the frontend's HTTP API are left
// off so that the gRPC ports (and the UI) are the only listeners.
func newTemporal(opts Options, logger serverLogger, ports map[primitives.ServiceName]int, sts []sqliteStore) (temporal.Server, error) {
	frontend := hostPort(opts.Host, opts.FrontendPort)
	services := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, port := range ports {
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: opts.Host}}
		hosts[name] = static.SingleLocalHost(hostPort(opts.Host, port))
	}

	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: opts.Host},
			// Metrics nil: a no-op handler, nothing listens.
			// PProf.Port 0: pprof is not started.
		},
		Persistence: config.Persistence{
			DefaultStore:    historyStore,
			VisibilityStore: visibilityStore,
			// One shard: a single node gains nothing from more, and each
			// shard adds its own timers and queue readers on the same file.
			NumHistoryShards: 1,
			DataStores: map[string]config.DataStore{
				historyStore:    {SQL: sqlConfig(sts[0].path)},
				visibilityStore: {SQL: sqlConfig(sts[1].path)},
			},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The internal worker service (schedules, batch operations) dials the
		// frontend through this address.
		PublicClient: config.PublicClient{HostPort: frontend},
	}

	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("new temporal server: %w", err)
	}
	return srv, nil
}

// devDynamicConfig holds the settings that differ from Temporal's defaults
// for a single developer node. Update, update-with-start and eager workflow
// start are already on by default in v1.32.1, so they are not repeated.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// A namespace registered while the server runs (another engineer's
		// tool, the UI) becomes usable within a second instead of two.
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): time.Second,
		// The Web UI lists and counts workflows on every page; the default of
		// 10 visibility requests per second throttles it with a handful of
		// tabs open.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Queue checkpoints every second instead of every 30 s, and the
		// shard's queue state saved from half a second after start and then
		// at most every second instead of after 10 s and every 5 minutes. A
		// server that is killed and restarted before it ever saved its
		// checkpoints re-runs every task since the last one on each start:
		// under a SIGKILL every few seconds (TestKillLoop at 100 kills) the
		// backlog grew each round until a lifetime completed no workflow
		// task at all (265 of 424 incidents done at the 97th kill, 74 s to
		// settle; with these, 403 and 12 s). One small SQLite write a
		// second is the cost.
		dynamicconfig.TransferProcessorUpdateAckInterval.Key():   time.Second,
		dynamicconfig.TimerProcessorUpdateAckInterval.Key():      time.Second,
		dynamicconfig.VisibilityProcessorUpdateAckInterval.Key(): time.Second,
		dynamicconfig.ShardUpdateMinInterval.Key():               time.Second,
		dynamicconfig.ShardFirstUpdateInterval.Key():             500 * time.Millisecond,
		// The transfer queue's reader may load tasks from the database at
		// most 20 times a second per shard by default. A production cluster
		// spreads its load over hundreds of shards; this server has one, so
		// every workflow task, activity task and signal of every workflow
		// waited its turn: about 50 ms each, five of them before an
		// incident's first action (376 ms at p50 in BenchmarkAlertToFirstAction,
		// 105 ms with this). A load is one indexed SQLite read.
		dynamicconfig.TransferProcessorMaxPollRPS.Key(): 1000,
	}
}

// startTemporal runs the blocking Start so that ctx can abandon it; a start
// that completes after ctx ended is stopped again in the background.
func startTemporal(ctx context.Context, srv temporal.Server, logger serverLogger) error {
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	select {
	case err := <-done:
		if err != nil {
			logger.stopping.Store(true)
			_ = srv.Stop()
			return fmt.Errorf("start temporal: %w", err)
		}
		return nil
	case <-ctx.Done():
		go func() {
			<-done
			logger.stopping.Store(true)
			_ = srv.Stop()
		}()
		return fmt.Errorf("start temporal: %w", ctx.Err())
	}
}

// waitNamespace polls the frontend until it describes the namespace: the
// gRPC listener accepts connections a little before the namespace cache is
// loaded, and callers expect to start workflows as soon as Start returns.
func waitNamespace(ctx context.Context, addr, namespace string) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  addr,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return fmt.Errorf("connect to frontend %s: %w", addr, err)
	}
	defer c.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := c.WorkflowService().DescribeNamespace(rctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		cancel()
		if err == nil && resp.GetNamespaceInfo().GetState() == enumspb.NAMESPACE_STATE_REGISTERED {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("state %s", resp.GetNamespaceInfo().GetState())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for namespace %s: %w (last error: %v)", namespace, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// FrontendAddr is the host:port SDK clients and workers dial.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIURL is the Web UI's base URL, for printing to the developer; it is empty
// when the UI is disabled.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace Start registered, which clients should use.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts the UI and the server down and releases the state directory so
// another server may use it. Workflows keep their state on disk. Calling Stop
// again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		s.logger.stopping.Store(true)
		if s.ui != nil {
			s.ui.Stop()
			<-s.uiDone
		}
		if err := s.temporal.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop temporal: %w", err))
		}
		if err := s.lock.release(); err != nil {
			errs = append(errs, err)
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
