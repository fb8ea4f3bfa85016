package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The merchant's own settings (GET and PATCH /v1/merchant) and its secret
// key rotation (POST /v1/merchant/keys/rotate).

// keyHashKey holds the hash of the secret key a merchant API request was
// made with (Authenticate): the current key or, during an overlap, the
// previous one.
const keyHashKey = "key_hash"

// MaxMerchantBody is the largest PATCH /v1/merchant body: a logo of
// checkout.MaxLogoBytes, base64-encoded in JSON (4/3 of it) or as a
// multipart file part, and the other settings.
const MaxMerchantBody = 192 << 10

// maxSettingValue bounds one text value of a multipart PATCH (the longest
// setting is a URL of checkout.MaxURLLength).
const maxSettingValue = 4 << 10

// BufferMerchantBody is BufferBody for PATCH /v1/merchant, whose body may
// carry a logo: up to MaxMerchantBody; a larger one is a 413 naming logo.
func BufferMerchantBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxMerchantBody+1))
		if err != nil {
			return checkout.Errorf(checkout.EMalformed, "The request body could not be read.")
		}
		if len(body) > MaxMerchantBody {
			return &checkout.Error{Code: checkout.ETooLarge, Param: "logo",
				Message: "The request body is larger than 192 KiB; a logo is at most 100 KB, and the other settings are short."}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return next(c)
	}
}

// APIMerchantGet handles GET /v1/merchant: the calling merchant.
func (h *Handlers) APIMerchantGet(c echo.Context) error {
	return c.JSON(http.StatusOK, h.Service.MerchantObject(merchant(c)))
}

// APIMerchantUpdate handles PATCH /v1/merchant: a JSON object of the
// settings to change (absent ones stay; null or "" clears one that can be
// cleared; the logo as logo_base64, "logo": null removes it), or the same
// settings as multipart/form-data with the logo as a file part (an empty
// logo part removes it) and origins as repeated parts. Every value is
// checked before anything is written; the answer is the merchant. Only
// the current key changes settings (a 403 for one rotated out).
func (h *Handlers) APIMerchantUpdate(c echo.Context) error {
	hash, _ := c.Get(keyHashKey).(string)
	if err := h.Service.RequireCurrentKey(merchant(c), hash); err != nil {
		return err
	}
	var ch checkout.MerchantChanges
	var err error
	ct := c.Request().Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "multipart/form-data":
		ch, err = multipartChanges(c.Request().Body, params["boundary"])
	case ct == "" || mt == "application/json":
		ch, err = jsonChanges(c)
	default:
		err = &checkout.Error{Code: checkout.EMalformed, Param: "Content-Type", Message: "Send the body as application/json or multipart/form-data."}
	}
	if err != nil {
		return err
	}
	m, _, err := h.Service.UpdateMerchant(ctx(c), merchant(c), ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.Service.MerchantObject(m))
}

// merchantPatch is PATCH /v1/merchant's JSON body. Each field stays raw
// until read, so that an absent field (nil), null and a value differ.
type merchantPatch struct {
	DisplayName     json.RawMessage `json:"display_name"`
	AccentColor     json.RawMessage `json:"accent_color"`
	Logo            json.RawMessage `json:"logo"`
	LogoBase64      json.RawMessage `json:"logo_base64"`
	ReturnOrigins   json.RawMessage `json:"return_origins"`
	EmbedOrigins    json.RawMessage `json:"embed_origins"`
	DefaultProvider json.RawMessage `json:"default_provider"`
	SupportEmail    json.RawMessage `json:"support_email"`
	SupportURL      json.RawMessage `json:"support_url"`
}

func jsonChanges(c echo.Context) (checkout.MerchantChanges, error) {
	var in merchantPatch
	var ch checkout.MerchantChanges
	if err := decodeJSON(c, &in); err != nil {
		return ch, err
	}
	var err error
	text := func(param string, raw json.RawMessage) *string {
		if err != nil || raw == nil {
			return nil
		}
		var s *string
		if json.Unmarshal(raw, &s) != nil {
			err = checkout.InvalidParam(param, "%s must be a string, or null", param)
			return nil
		}
		if s == nil {
			s = new(string)
		}
		return s
	}
	list := func(param string, raw json.RawMessage) *[]string {
		if err != nil || raw == nil {
			return nil
		}
		var l []string
		if json.Unmarshal(raw, &l) != nil {
			err = checkout.InvalidParam(param, "%s must be an array of strings, or null", param)
			return nil
		}
		if l == nil {
			l = []string{}
		}
		return &l
	}
	ch.DisplayName = text("display_name", in.DisplayName)
	ch.AccentColor = text("accent_color", in.AccentColor)
	ch.ReturnOrigins = list("return_origins", in.ReturnOrigins)
	ch.EmbedOrigins = list("embed_origins", in.EmbedOrigins)
	ch.DefaultProvider = text("default_provider", in.DefaultProvider)
	ch.SupportEmail = text("support_email", in.SupportEmail)
	ch.SupportURL = text("support_url", in.SupportURL)
	remove := text("logo", in.Logo)
	encoded := text("logo_base64", in.LogoBase64)
	if err != nil {
		return ch, err
	}
	switch {
	case remove != nil && *remove != "":
		return ch, checkout.InvalidParam("logo", "in a JSON body, logo is null (to remove the logo); send an image as logo_base64, "+
			"or as a logo file part of a multipart/form-data body")
	case remove != nil && encoded != nil:
		return ch, checkout.InvalidParam("logo_base64", "give logo_base64 (a new logo) or \"logo\": null (no logo), not both")
	case remove != nil:
		ch.Logo = &[]byte{}
	case encoded != nil:
		body, err := decodeBase64(*encoded)
		if err != nil {
			return ch, err
		}
		ch.Logo, ch.LogoParam = &body, "logo_base64"
	}
	return ch, nil
}

// decodeBase64 reads a logo_base64 value: standard base64, padded or not
// (white space, as a line-wrapping encoder writes it, is ignored).
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) > base64.StdEncoding.EncodedLen(checkout.MaxLogoBytes) {
		return nil, checkout.InvalidParam("logo_base64", "the logo is larger than %d bytes (100 KB)", checkout.MaxLogoBytes)
	}
	body, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		body, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, checkout.InvalidParam("logo_base64", "logo_base64 is not valid base64 (the standard alphabet, A-Z a-z 0-9 + /)")
	}
	return body, nil
}

// multipartSettings are the parts a multipart PATCH may have; the origins
// may repeat.
var multipartSettings = []string{"display_name", "accent_color", "logo", "return_origins", "embed_origins",
	"default_provider", "support_email", "support_url"}

// multipartChanges reads a multipart/form-data PATCH (already bounded by
// BufferMerchantBody): each part once (the origins once per origin; one
// empty value is no origins), unknown parts refused by name, the logo's
// bytes as they are.
func multipartChanges(body io.Reader, boundary string) (checkout.MerchantChanges, error) {
	var ch checkout.MerchantChanges
	if boundary == "" {
		return ch, checkout.Errorf(checkout.EMalformed, "The multipart/form-data Content-Type has no boundary.")
	}
	values := map[string][]string{}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ch, checkout.Errorf(checkout.EMalformed, "The multipart/form-data body could not be read.")
		}
		name := p.FormName()
		switch {
		case name == "":
			return ch, checkout.Errorf(checkout.EMalformed, "Every part of the multipart/form-data body needs a name.")
		case !slices.Contains(multipartSettings, name):
			return ch, checkout.InvalidParam(name, "%s is not a known parameter", name)
		case len(values[name]) > 0 && name != "return_origins" && name != "embed_origins":
			return ch, &checkout.Error{Code: checkout.EDuplicateKey, Param: name, Message: name + " is given more than once; send each part once"}
		}
		limit := int64(maxSettingValue)
		if name == "logo" {
			limit = checkout.MaxLogoBytes
		}
		v, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return ch, checkout.Errorf(checkout.EMalformed, "The multipart/form-data body could not be read.")
		}
		if int64(len(v)) > limit {
			if name == "logo" {
				return ch, checkout.InvalidParam("logo", "the logo is larger than %d bytes; a logo is at most %d bytes (100 KB)", checkout.MaxLogoBytes, checkout.MaxLogoBytes)
			}
			return ch, checkout.InvalidParam(name, "%s is longer than %d bytes", name, maxSettingValue)
		}
		if name != "logo" && !utf8.Valid(v) {
			return ch, checkout.InvalidParam(name, "%s must be valid UTF-8", name)
		}
		if len(values[name]) >= checkout.MaxMerchantOrigins+1 {
			return ch, checkout.InvalidParam(name, "%s has more than %d origins", name, checkout.MaxMerchantOrigins)
		}
		values[name] = append(values[name], string(v))
	}
	text := func(name string) *string {
		if v, ok := values[name]; ok {
			return &v[0]
		}
		return nil
	}
	list := func(name string) *[]string {
		v, ok := values[name]
		if !ok {
			return nil
		}
		if len(v) == 1 && strings.TrimSpace(v[0]) == "" {
			v = []string{}
		}
		return &v
	}
	ch.DisplayName, ch.AccentColor = text("display_name"), text("accent_color")
	ch.ReturnOrigins, ch.EmbedOrigins = list("return_origins"), list("embed_origins")
	ch.DefaultProvider, ch.SupportEmail, ch.SupportURL = text("default_provider"), text("support_email"), text("support_url")
	if logo := text("logo"); logo != nil {
		b := []byte(*logo)
		ch.Logo, ch.LogoParam = &b, "logo"
	}
	return ch, nil
}

type rotateKeyRequest struct {
	ExpirePreviousIn *int64 `json:"expire_previous_in"`
}

// APIMerchantKeysRotate handles POST /v1/merchant/keys/rotate
// {expire_previous_in?}: a new secret key, shown only in this answer (it
// is stored as a hash only, so no Idempotency-Key record keeps it: a
// retry with the old key is a 409), while the key the request was made
// with keeps working for expire_previous_in seconds (default 24 h; 0
// stops it now). Only the current key rotates.
func (h *Handlers) APIMerchantKeysRotate(c echo.Context) error {
	var in rotateKeyRequest
	if hasBody(c) {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	overlap, err := checkout.KeyOverlap(in.ExpirePreviousIn)
	if err != nil {
		return err
	}
	hash, _ := c.Get(keyHashKey).(string)
	r, err := h.Service.RotateSecretKey(ctx(c), merchant(c), hash, overlap)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, checkout.NewAPIKeyObject(r))
}
