package web

import (
	"context"
	"time"
)

// runRelay delivers due merchant webhooks every interval until ctx ends.
// A delivery in flight when the process dies is retried once its lease ran
// out, so each webhook arrives at least once.
func (a *App) runRelay(ctx context.Context) {
	tick := time.NewTicker(a.Config.ReconcileInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := a.relay.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("webhook relay failed", "err", err)
		}
	}
}

// runWorkers inquires payments and refunds whose outcome is unknown,
// expires sessions past their time, prunes old idempotency keys and sweeps
// idle limiter keys, until
// ctx ends.
func (a *App) runWorkers(ctx context.Context) {
	tick := time.NewTicker(a.Config.ReconcileInterval)
	defer tick.Stop()
	var lastSweep time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := a.Service.ReconcileDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("reconcile sweep failed", "err", err)
		}
		// Pending refunds are settled by inquiry, on the same schedule.
		if _, err := a.Service.CheckRefundsDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("refund sweep failed", "err", err)
		}
		// Sessions expire on time (within one interval), with their webhook.
		if n, err := a.Service.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("expiry sweep failed", "err", err)
		} else if n > 0 {
			a.Log.Info("sessions expired", "count", n)
		}
		if time.Since(lastSweep) < 30*time.Second {
			continue
		}
		lastSweep = time.Now()
		// In-memory limiters give back the keys idle past their window.
		a.Service.SweepLimiters()
		a.handlers.SweepLimiters()
		if _, err := a.handlers.Idempotency.Prune(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("idempotency prune failed", "err", err)
		}
		if _, err := a.Service.PruneDashboardSessions(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("dashboard session prune failed", "err", err)
		}
	}
}
