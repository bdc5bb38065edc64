using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Mexc.Http;

/// <summary>
/// A MEXC request that failed, with what the caller should do next (<see cref="Kind"/>), the HTTP status and venue
/// code when an answer came, and whether one came at all. The message is one line, already scrubbed of credentials.
/// </summary>
internal sealed class MexcApiException(string message, ErrorKind kind, int? httpStatus = null, int? code = null, bool neverSent = false) : Exception(message)
{
    /// <summary>True when no connection to the venue could be made at all, so the request cannot have reached it.</summary>
    public bool NeverSent { get; } = neverSent;

    public ErrorKind Kind { get; } = kind;

    /// <summary>The HTTP status of the answer, or null when none came.</summary>
    public int? HttpStatus { get; } = httpStatus;

    /// <summary>The venue's error code (e.g. 2005), when it sent one.</summary>
    public int? Code { get; } = code;

    /// <summary>Whether the request may have been carried out although no definite answer came: none, a 5xx, or an unreadable success.</summary>
    public bool OutcomeUnknown => !NeverSent && (HttpStatus is null or >= 500 || (HttpStatus is >= 200 and < 300 && Code is null));
}
