package checkout_test

import (
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Return URLs are https; http only for localhost, for a test merchant, on
// a server in sandbox mode.
func TestReturnURLsHTTPOnlyForLocalhostInSandbox(t *testing.T) {
	test := &checkout.Merchant{ReturnOrigins: []string{"http://localhost:8080", "https://shop.example"}}
	live := &checkout.Merchant{Live: true, ReturnOrigins: test.ReturnOrigins}
	for _, tt := range []struct {
		m       *checkout.Merchant
		url     string
		sandbox bool
		ok      bool
	}{
		{test, "http://localhost:8080/done", true, true},
		{test, "http://localhost:8080/done", false, false},
		{live, "http://localhost:8080/done", true, false},
		{test, "https://shop.example/done", false, true},
		{live, "https://shop.example/done", false, true},
		{test, "http://shop.example/done", true, false},
	} {
		if err := tt.m.AllowsReturn(tt.url, tt.sandbox); (err == nil) != tt.ok {
			t.Errorf("live=%v %s sandbox=%v: %v", tt.m.Live, tt.url, tt.sandbox, err)
		}
	}
}
