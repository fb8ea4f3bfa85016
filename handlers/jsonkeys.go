package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// checkJSONKeys walks a JSON body against the type it will be decoded
// into and refuses what encoding/json would silently accept, each with a
// 400 and a code of its own: an object key given twice (the last would
// win) at any depth (EDuplicateKey), and a key that only case- or
// Unicode-folds to a field's name (encoding/json matches names that way,
// so "Amount" or "ſuccess_url" would set amount or success_url:
// EFieldNameMismatch). A key that is no field at all stays a 422 naming
// it (the decoder's unknown-field check). Map keys (metadata) are
// free-form but never duplicated. Nesting deeper than maxJSONDepth is
// malformed: no request of ours needs it.
func checkJSONKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return walkJSON(dec, t, "", 0)
}

// maxJSONDepth bounds how deeply a request body may nest objects and arrays.
const maxJSONDepth = 32

// walkJSON reads one value from dec; t is the Go type it decodes into (nil
// when free-form), path its name in errors, depth how deep it sits.
func walkJSON(dec *json.Decoder, t reflect.Type, path string, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > maxJSONDepth {
		return checkout.Errorf(checkout.EMalformed, "The request body nests deeper than %d levels.", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil // the decoder that follows reports syntax errors
	}
	// A value of the wrong type is still read through, free-form, for what
	// is worse (nesting too deep); then its type is the error.
	typeErr := checkJSONType(tok, t, path)
	if typeErr != nil || (t != nil && reflect.PointerTo(t).Implements(jsonUnmarshaler)) {
		// A type that decodes itself (json.RawMessage, a []byte) says
		// nothing of what lies inside: that is read free-form.
		t = nil
	}
	switch tok {
	case json.Delim('{'):
		fields := map[string]reflect.Type{}
		structType := t != nil && t.Kind() == reflect.Struct
		if structType {
			for i := range t.NumField() {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "-" || !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				fields[name] = f.Type
			}
		}
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil
			}
			key, _ := kt.(string)
			at := joinPath(path, key)
			if seen[key] {
				return &checkout.Error{Code: checkout.EDuplicateKey, Param: at,
					Message: at + " is given more than once; send each key once"}
			}
			seen[key] = true
			next := elem
			if structType {
				ft, ok := fields[key]
				if !ok && key == "" {
					return checkout.Errorf(checkout.EMalformed, "The request body has an empty key.")
				}
				if !ok {
					for name := range fields {
						if strings.EqualFold(name, key) {
							return &checkout.Error{Code: checkout.EFieldNameMismatch, Param: at,
								Message: at + " is not a parameter: names are case-sensitive; did you mean " + joinPath(path, name) + "?"}
						}
					}
					return checkout.InvalidParam(at, "%s is not a known parameter", at)
				}
				next = ft
			}
			if err := walkJSON(dec, next, at, depth+1); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // '}'
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, elem, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // ']'
	}
	return typeErr
}

// checkJSONType refuses a value whose JSON type cannot decode into t,
// naming it by its whole path ("line_items[1].quantity", "metadata.k"):
// the decoder's own error would name "line_items.quantity" or "metadata".
// null decodes into anything (it leaves the zero value), and so does
// anything into an interface, an unknown type (nil) or a type with its
// own UnmarshalJSON.
func checkJSONType(tok json.Token, t reflect.Type, path string) error {
	if tok == nil || t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return nil
	}
	var want string
	ok := true
	switch t.Kind() {
	case reflect.String:
		_, ok = tok.(string)
		want = "a string"
	case reflect.Bool:
		_, ok = tok.(bool)
		want = "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, isNumber := tok.(json.Number)
		_, err := strconv.ParseInt(string(n), 10, t.Bits())
		ok, want = isNumber && err == nil, "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, isNumber := tok.(json.Number)
		_, err := strconv.ParseUint(string(n), 10, t.Bits())
		ok, want = isNumber && err == nil, "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		_, ok = tok.(json.Number)
		want = "a number"
	case reflect.Slice, reflect.Array:
		ok, want = tok == json.Delim('['), "an array"
	case reflect.Struct, reflect.Map:
		ok, want = tok == json.Delim('{'), "an object"
	}
	if ok {
		return nil
	}
	var got string
	switch v := tok.(type) {
	case string:
		got = "a string"
	case bool:
		got = "a boolean"
	case json.Number:
		got = "the number " + clip(string(v), 32)
	case json.Delim:
		got = map[json.Delim]string{'{': "an object", '[': "an array"}[v]
	}
	return checkout.InvalidParam(path, "%s must be %s, not %s", path, want, got)
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
