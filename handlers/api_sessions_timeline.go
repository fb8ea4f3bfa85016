package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// APISessionsTimeline handles GET /v1/checkout/sessions/:id/timeline
// ?limit=&starting_after=: the session's steps in order, a page at a time.
// Another merchant's session is a 404, as for GET of the session.
func (h *Handlers) APISessionsTimeline(c echo.Context) error {
	q := c.QueryParams()
	for name, values := range q {
		if name != "limit" && name != "starting_after" {
			return checkout.InvalidParam(clip(name, 64), "%s is not a known parameter", clip(name, 64))
		}
		if len(values) != 1 {
			return checkout.InvalidParam(name, "%s may be given once", name)
		}
	}
	in := checkout.TimelineParams{StartingAfter: q.Get("starting_after")}
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 {
			return checkout.InvalidParam("limit", "limit must be an integer from 1 to %d", checkout.MaxTimelineLimit)
		}
		in.Limit = n
	}
	page, err := h.Service.Timeline(ctx(c), merchant(c).ID, c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
