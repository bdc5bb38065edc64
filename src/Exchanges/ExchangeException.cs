namespace StrategyLab.Exchanges;

/// <summary>
/// What kind of failure an <see cref="ExchangeException"/> reports, so a caller can choose an exit code
/// (for example <see cref="InvalidRequest"/> is a usage error, the rest are runtime failures).
/// </summary>
public enum ExchangeErrorKind
{
    /// <summary>The request was invalid before anything was sent: an unknown interval, an empty symbol list, a range that ends before it starts.</summary>
    InvalidRequest,

    /// <summary>The venue could not be reached at all: no route, connection refused, name not resolved, connect timeout.</summary>
    Unreachable,

    /// <summary>The venue has banned this IP address for a while (Binance HTTP 418).</summary>
    Banned,

    /// <summary>The venue kept answering "too many requests" after the client had waited as told.</summary>
    RateLimited,

    /// <summary>The venue rejected the request with an error of its own, for example Binance -1121 "Invalid symbol.".</summary>
    Rejected,

    /// <summary>The venue kept sending bodies that could not be read as the documented response.</summary>
    MalformedResponse,

    /// <summary>The venue kept failing with server errors or dropped connections after every retry.</summary>
    ServerError,

    /// <summary>The data requested is not served by the venue, for example open interest older than 30 days.</summary>
    DataUnavailable,

    /// <summary>A local output file could not be used: it has another layout, or a row in it cannot be read.</summary>
    LocalFile,
}

/// <summary>
/// A failure a user can cause or meet when talking to an exchange, with a one-line message fit to print
/// as it is (no stack trace needed). The message never contains credentials.
/// </summary>
/// <example><c>cannot reach Binance at https://fapi.binance.com: the name could not be resolved; check the network connection</c></example>
public sealed class ExchangeException : Exception
{
    /// <summary>Creates an exception with a one-line, user-facing message.</summary>
    public ExchangeException(ExchangeErrorKind kind, string message, Exception? innerException = null, int? venueCode = null)
        : base(message, innerException)
    {
        Kind = kind;
        VenueCode = venueCode;
    }

    /// <summary>What kind of failure this is.</summary>
    public ExchangeErrorKind Kind { get; }

    /// <summary>The venue's own error code when it sent one (Binance: -1121 for an unknown symbol), otherwise null.</summary>
    public int? VenueCode { get; }
}
