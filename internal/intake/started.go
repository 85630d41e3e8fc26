package intake

import (
	"context"
	"sync/atomic"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
)

// What a firing alert's SignalWithStart did. The SDK's
// client.SignalWithStartWorkflow returns only the run, not whether it
// started it; the frontend's gRPC answer says so (Started), and
// StartedInterceptor carries that flag back to deliver through the call's
// context.
const (
	outcomeUnknown   int32 = iota // no interceptor saw the answer
	outcomeSignalled              // the run was already open: only signalled
	outcomeStarted                // this call started a new run
)

// startedKey is the context key of a call's *startedHolder.
type startedKey struct{}

// startedHolder receives the outcome of one SignalWithStart call. It is
// atomic because it is written inside gRPC's call chain and read by
// deliver afterwards; gRPC runs a unary call's interceptors on the caller's
// goroutine today, and the atomic keeps that an implementation detail.
type startedHolder struct{ outcome atomic.Int32 }

// withStartedHolder returns ctx carrying a fresh holder for one call.
func withStartedHolder(ctx context.Context) (context.Context, *startedHolder) {
	h := &startedHolder{}
	return context.WithValue(ctx, startedKey{}, h), h
}

// result is the answer's result for the call the holder was made for.
func (h *startedHolder) result() string {
	switch h.outcome.Load() {
	case outcomeStarted:
		return ResultStarted
	case outcomeSignalled:
		return ResultSignalled
	default:
		return ResultDelivered
	}
}

// StartedInterceptor returns the gRPC unary client interceptor that lets
// intake answer started or signalled for a firing alert instead of
// delivered. Install it on the Temporal client intake is given:
//
//	client.Options{ConnectionOptions: client.ConnectionOptions{
//		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(intake.StartedInterceptor())},
//	}}
//
// The SDK chains dial options after its own interceptors, so this one runs
// inside its retry loop, once per attempt; only a successful attempt
// writes. The SDK derives each attempt's context from the caller's (it adds
// gRPC metadata and a timeout), so the holder deliver puts there reaches
// it. Every other call passes through untouched.
func StartedInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
			return err
		}
		h, ok := ctx.Value(startedKey{}).(*startedHolder)
		if !ok {
			return nil
		}
		if r, ok := reply.(*workflowservice.SignalWithStartWorkflowExecutionResponse); ok {
			if r.GetStarted() {
				h.outcome.Store(outcomeStarted)
			} else {
				h.outcome.Store(outcomeSignalled)
			}
		}
		return nil
	}
}
