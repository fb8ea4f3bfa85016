package handlers

import (
	"context"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// MaxNotificationBody is the largest provider notification accepted.
const MaxNotificationBody = 256 << 10

// Notify handles GET and POST /notify/:provider: provider notifications
// (and endpoint verification handshakes). The provider's adapter verifies
// them; the answer is whatever that provider expects.
func (h *Handlers) Notify(c echo.Context) error {
	return h.notify(c, h.Service.Notify)
}

// NotifyTest handles GET and POST /notify/test/:provider: on a server in
// live mode, the notifications of the provider sandboxes that test keys
// use; they only ever reach test payments.
func (h *Handlers) NotifyTest(c echo.Context) error {
	return h.notify(c, h.Service.NotifyTest)
}

func (h *Handlers) notify(c echo.Context, handle func(context.Context, string, checkout.NotificationRequest) (checkout.NotificationReply, error)) error {
	r := c.Request()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBody+1))
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The notification body could not be read.")
	}
	if len(body) > MaxNotificationBody {
		return checkout.Errorf(checkout.ETooLarge, "The notification body is too large.")
	}
	reply, err := handle(ctx(c), c.Param("provider"), checkout.NotificationRequest{
		Method: r.Method, RequestURI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body,
	})
	if err != nil {
		return err
	}
	noStore(c)
	ct := reply.ContentType
	if ct == "" {
		ct = echo.MIMETextPlainCharsetUTF8
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	return c.Blob(status, ct, []byte(reply.Body))
}
