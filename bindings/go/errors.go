package gazette

/*
#include <gazette.h>
*/
import "C"

import (
	"fmt"
	"strings"
)

// Error is a failed call: its gazette_status and the library's message.
// errors.Is matches it against the Err* values by status.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "gazette: " + StatusName(e.Status)
	}
	return fmt.Sprintf("gazette: %s: %s", StatusName(e.Status), e.Message)
}

// Is reports whether target is an *Error with the same status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Retryable reports whether the library considers the status transient.
func (e *Error) Retryable() bool { return bool(C.gazette_status_is_retryable(C.int32_t(e.Status))) }

// StatusName is the status constant's name without prefix, e.g. "OFFSET_JUMP".
func StatusName(status int) string {
	return strings.TrimPrefix(gostr(C.gazette_status_name(C.int32_t(status))), "GAZETTE_STATUS_")
}

func named(s C.gazette_status) *Error { return &Error{Status: int(s)} }

// Named errors, mirroring the Go client's and the broker's statuses.
var (
	ErrWouldBlock      = named(C.GAZETTE_STATUS_WOULD_BLOCK)
	ErrTimedOut        = named(C.GAZETTE_STATUS_TIMED_OUT)
	ErrOffsetJump      = named(C.GAZETTE_STATUS_OFFSET_JUMP)
	ErrCancelled       = named(C.GAZETTE_STATUS_CANCELLED)
	ErrInvalidArgument = named(C.GAZETTE_STATUS_INVALID_ARGUMENT)
	ErrInvalidState    = named(C.GAZETTE_STATUS_INVALID_STATE)
	ErrClosed          = named(C.GAZETTE_STATUS_CLOSED)
	// ErrBusy: a reader, appender or async append was called from two
	// goroutines' C calls at once (the binding's own types serialize theirs).
	ErrBusy                       = named(C.GAZETTE_STATUS_BUSY)
	ErrJournalNotFound            = named(C.GAZETTE_STATUS_JOURNAL_NOT_FOUND)
	ErrNoJournalPrimaryBroker     = named(C.GAZETTE_STATUS_NO_JOURNAL_PRIMARY_BROKER)
	ErrNotJournalPrimaryBroker    = named(C.GAZETTE_STATUS_NOT_JOURNAL_PRIMARY_BROKER)
	ErrInsufficientJournalBrokers = named(C.GAZETTE_STATUS_INSUFFICIENT_JOURNAL_BROKERS)
	ErrNotJournalBroker           = named(C.GAZETTE_STATUS_NOT_JOURNAL_BROKER)
	ErrOffsetNotYetAvailable      = named(C.GAZETTE_STATUS_OFFSET_NOT_YET_AVAILABLE)
	ErrEtcdTransactionFailed      = named(C.GAZETTE_STATUS_ETCD_TRANSACTION_FAILED)
	ErrNotAllowed                 = named(C.GAZETTE_STATUS_NOT_ALLOWED)
	ErrWrongAppendOffset          = named(C.GAZETTE_STATUS_WRONG_APPEND_OFFSET)
	ErrRegisterMismatch           = named(C.GAZETTE_STATUS_REGISTER_MISMATCH)
	ErrSuspended                  = named(C.GAZETTE_STATUS_SUSPENDED)
	ErrFragmentStoreUnhealthy     = named(C.GAZETTE_STATUS_FRAGMENT_STORE_UNHEALTHY)
	ErrSeekRequiresNewReader      = named(C.GAZETTE_STATUS_SEEK_REQUIRES_NEW_READER)
	ErrDidNotReadExpectedEOF      = named(C.GAZETTE_STATUS_DID_NOT_READ_EXPECTED_EOF)
	ErrUnexpectedEOF              = named(C.GAZETTE_STATUS_UNEXPECTED_EOF)
	ErrJournalDoesNotExist        = named(C.GAZETTE_STATUS_JOURNAL_DOES_NOT_EXIST)
	ErrDependencyFailed           = named(C.GAZETTE_STATUS_DEPENDENCY_FAILED)
	// ErrMessageTooLarge: a broker message exceeded the client's receive limit.
	ErrMessageTooLarge = named(C.GAZETTE_STATUS_MESSAGE_TOO_LARGE)
	ErrUnavailable     = named(C.GAZETTE_STATUS_GRPC_UNAVAILABLE)
	ErrTransport       = named(C.GAZETTE_STATUS_TRANSPORT)
	// ErrUnsupported: the broker is older than the release that added the RPC.
	ErrUnsupported = named(C.GAZETTE_STATUS_UNSUPPORTED)
)

// takeErr turns a status and optional error object into a Go error (nil for
// OK) and frees the object.
func takeErr(s C.gazette_status, e *C.gazette_error) error {
	if e != nil {
		defer C.gazette_error_free(e)
	}
	if s == C.GAZETTE_STATUS_OK {
		return nil
	}
	err := &Error{Status: int(s)}
	if e != nil {
		err.Message = gostr(C.gazette_error_message(e))
	}
	return err
}
