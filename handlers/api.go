package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// decodeJSON decodes a JSON object strictly: the right content type, no
// unknown fields, no key given twice, names matched exactly (not
// case-insensitively), no trailing data, and an error naming the field when a
// value has the wrong type.
func decodeJSON(c echo.Context, dst any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &checkout.Error{Code: checkout.EMalformed, Param: "Content-Type", Message: "Send the body as application/json."}
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return checkout.Errorf(checkout.EMalformed, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
	}
	if trimmed := bytes.TrimSpace(body); trimmed[0] != '{' {
		return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
	}
	if !utf8.Valid(body) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid UTF-8.")
	}
	// Keys are checked in a body that parses; any other is refused below
	// with the decoder's own syntax error.
	if json.Valid(body) {
		if err := checkJSONKeys(body, reflect.TypeOf(dst)); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	// Nothing may follow the object, not even a stray bracket.
	if _, err := dec.Token(); err != io.EOF {
		return checkout.Errorf(checkout.EMalformed, "The request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON (error at byte %d).", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON (it ends too early).")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return checkout.Errorf(checkout.EMalformed, "The request body must be a JSON object.")
		}
		want := typ.Type.Kind().String()
		switch want {
		case "int64", "int", "int32":
			want = "an integer"
		case "string":
			want = "a string"
		case "slice":
			want = "an array"
		case "map", "struct":
			want = "an object"
		}
		return checkout.InvalidParam(typ.Field, "%s must be %s, not %s", typ.Field, want, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return checkout.InvalidParam(field, "%s is not a known parameter", field)
	}
	return checkout.Errorf(checkout.EMalformed, "The request body is not valid JSON.")
}
