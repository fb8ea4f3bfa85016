package templates

// DashboardChrome is what every signed-in dashboard page shows around its
// content: who is signed in, the navigation, the sign-out form's token.
type DashboardChrome struct {
	Email     string
	Role      string // "admin" or "support"
	Current   string // the navigation entry of this page ("payments")
	FormToken string // of the sign-out form
}

// DashboardSignInPage is the dashboard's sign-in form.
type DashboardSignInPage struct {
	Page
	FormToken string
	Email     string // re-shown after a refusal; the password never is
	Error     string // translated: why the last attempt was refused
	Notice    string // translated: signed out, or the session ended
}

// DashboardSessionRow is one checkout session of the payments list.
type DashboardSessionRow struct {
	ID            string
	Created       string // formatted, UTC
	CreatedISO    string // RFC 3339, for <time datetime>
	Reference     string
	Customer      string
	Amount        string // formatted in the page's locale
	Status        string // open, complete, expired, canceled
	StatusLabel   string
	PaymentStatus string // unpaid, paid, authorized, pending, failed
	PaymentLabel  string
}

// DashboardStatusOption is a choice of the list's status filter.
type DashboardStatusOption struct {
	Value, Label string
	Selected     bool
}

// DashboardPaymentsPage is the list of the merchant's checkout sessions.
type DashboardPaymentsPage struct {
	Page
	DashboardChrome
	Query     string // the search box's text
	Statuses  []DashboardStatusOption
	Providers []DashboardStatusOption
	From, To  string // the date filter, 2006-01-02 (UTC days)
	Rows      []DashboardSessionRow
	Error     string // translated: the search or filter cannot be used
	NewerURL  string // "" when this is the newest page
	OlderURL  string // "" when there is nothing older
}

// DashboardField is one labelled value of a definition list; its hook is
// "detail-" + Key.
type DashboardField struct {
	Key, Label, Value string
}

// DashboardTimelineEntry is one step of a session's story.
type DashboardTimelineEntry struct {
	ID       string
	Kind     string // the timeline kind, for data-kind
	Label    string // translated
	At       string // the time, UTC, to the millisecond
	AtISO    string // for <time datetime>
	Took     string // translated "Took 120 ms", "" when the step has no length
	Detail   string // machine values: provider, operation, outcome, codes
	Warning  bool   // a step that went wrong (a failed call, a timeout, a refused return)
	Payment  string // the payment attempt it belongs to, or ""
	Webhooks bool   // a webhook.sent entry (listed again under Webhooks)
	By       string // translated "By ada@shop.example": the dashboard user who took the step, or ""
}

// DashboardWebhookRow is one webhook a session's events sent.
type DashboardWebhookRow struct {
	DeliveryID  string
	Event       string // the webhook type, payment.succeeded…
	Endpoint    string
	Status      string // pending, succeeded, failed, canceled
	StatusLabel string
	Attempts    int
	Redeliver   bool // the user may send it again (admins)
}

// DashboardSessionPage is one checkout session: its summary, its latest
// payment, its timeline and the webhooks it sent.
type DashboardSessionPage struct {
	Page
	DashboardChrome
	SessionID string
	Heading   string // the order reference, or the session id
	Summary   []DashboardField
	Payment   []DashboardField // empty when no payment was attempted
	Timeline  []DashboardTimelineEntry
	MoreURL   string // the timeline's next page, "" when none
	Webhooks  []DashboardWebhookRow
	Actions   DashboardActions
	Notice    string // translated: what the last action did
	Error     string // translated: why the last action did not go through
}

// DashboardActions are the actions the latest payment allows this user,
// each a form posting to ActionURL + "/refund", "/capture" or "/cancel",
// which asks for confirmation first.
type DashboardActions struct {
	ActionURL    string // /dashboard/payments/cs_…
	FormToken    string
	Refund       bool
	RefundAmount string // the amount field's value: what is left to refund, or what was typed
	RefundLabel  string // translated, with the currency
	RefundError  string // translated: the amount typed cannot be refunded
	Capture      bool
	Cancel       bool
	Redeliver    bool // webhooks may be sent again (admins)
}

// DashboardConfirmPage asks to confirm one action on a payment.
type DashboardConfirmPage struct {
	Page
	DashboardChrome
	Question  string // translated
	ActionURL string // where Yes posts
	BackURL   string
	FormToken string
	Amount    string      // the refund's amount, as typed (refunds only)
	Key       string      // the action's idempotency key: a double click on Yes acts once
	Hidden    []FormField // more of the action's fields, carried to Yes
}

// DashboardLinksPage creates a payment link: a checkout session made in
// the dashboard whose URL the shop sends its customer.
type DashboardLinksPage struct {
	Page
	DashboardChrome
	FormToken  string
	Amount     string // the form's values, kept after a refusal
	Currency   string
	Currencies []string
	Describe   string
	Reference  string
	Email      string
	Expiry     string // 1h, 24h or 7d
	Card       bool
	Wallet     bool
	ReturnURL  string
	Error      string // translated: why the link was not created
	ErrorField string // the field it is about (its id), for aria-invalid
	// After creation: the link, its QR code (modules, true = dark,
	// with the quiet zone) and the session's dashboard page.
	LinkURL     string
	QR          [][]bool
	SessionPage string
}

// DashboardUserRow is one dashboard user of the merchant.
type DashboardUserRow struct {
	ID, Email, Role, RoleLabel, Added string
	You                               bool // the signed-in person (no Remove)
}

// DashboardUsersPage lists the merchant's dashboard users, adds one, and
// shows the history of these changes (admins only).
type DashboardUsersPage struct {
	Page
	DashboardChrome
	FormToken   string
	Users       []DashboardUserRow
	Email       string // the add form's value, kept after a refusal
	Role        string
	Error       string // translated: why the user was not added or removed
	Notice      string // translated: added, removed
	NewPassword string // shown once after adding a user
	History     []string
}

// DashboardAccountPage changes the signed-in person's password.
type DashboardAccountPage struct {
	Page
	DashboardChrome
	FormToken string
	Error     string // translated: why the password was not changed
	Field     string // the field the error is about (its id)
	Notice    string // translated: changed
	TOTP      DashboardTOTP
}

// DashboardEndpointRow is one webhook endpoint of the merchant.
type DashboardEndpointRow struct {
	ID, URL, Events string
	Enabled         bool
}

// DashboardDeliveryRow is one webhook delivery of the log.
type DashboardDeliveryRow struct {
	ID, Created, Event, Endpoint, Status, StatusLabel string
	Attempts                                          int
}

// DashboardWebhooksPage lists the merchant's webhook endpoints, adds one,
// and shows the delivery log (admins only).
type DashboardWebhooksPage struct {
	Page
	DashboardChrome
	FormToken  string
	Endpoints  []DashboardEndpointRow
	EventTypes []string // every webhook type, for the add form
	URL        string   // the add form's value, kept after a refusal
	Chosen     []string
	Error      string
	Notice     string
	Secret     string // a signing secret, shown once (after adding or rotating)
	Outcome    string // the log's filter
	Outcomes   []DashboardStatusOption
	Deliveries []DashboardDeliveryRow
	OlderURL   string
}
