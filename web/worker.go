package web

import (
	"context"
	"time"
)

// runWorkers inquires payments whose outcome is unknown, expires sessions
// past their time and prunes old idempotency keys, until ctx ends.
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
		if time.Since(lastSweep) < 30*time.Second {
			continue
		}
		lastSweep = time.Now()
		if n, err := a.Service.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("expiry sweep failed", "err", err)
		} else if n > 0 {
			a.Log.Info("sessions expired", "count", n)
		}
		if _, err := a.Service.PruneIdempotent(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("idempotency prune failed", "err", err)
		}
	}
}
