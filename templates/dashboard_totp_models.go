package templates

// DashboardCodePage asks for the code of a two-step sign-in, after the
// password.
type DashboardCodePage struct {
	Page
	FormToken string
	Error     string // translated: why the last code was refused
}

// DashboardTOTP is the account page's two-step sign-in section.
type DashboardTOTP struct {
	Enabled bool
	Error   string // translated: why it was not turned off
	Field   string // the field the error is about (its id)
}

// DashboardTOTPEnrolPage sets up two-step sign-in: the secret as a QR code
// and as text to type, and the code that confirms the app has it.
type DashboardTOTPEnrolPage struct {
	Page
	DashboardChrome
	FormToken string
	QR        [][]bool // the otpauth:// URI's QR code (modules, true = dark, with the quiet zone)
	Secret    string   // the secret in groups of four, to type
	Pending   string   // the secret sealed for this user, carried by the form (never in plain)
	Error     string   // translated: why the code was refused
}
