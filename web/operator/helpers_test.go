package operator_test

import "github.com/opencheckout/hostedcheckout/web/webtest"

// The shared HTTP and image helpers (package webtest), under the names
// these tests use.
type response = webtest.Response

var (
	do       = webtest.Do
	testPNG  = webtest.PNG
	testJPEG = webtest.JPEG
	testWebP = webtest.WebP
)
