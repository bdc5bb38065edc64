using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Bybit.Http;

/// <summary>
/// A Bybit request that failed, with what the caller should do next (<see cref="Kind"/>), the HTTP status and
/// <c>retCode</c> when an answer came, and whether one came at all. The message is one line, already scrubbed of
/// credentials and signatures.
/// </summary>
internal sealed class BybitApiException(string message, ErrorKind kind, int? httpStatus = null, int? code = null, bool neverSent = false) : Exception(message)
{
    /// <summary>True when no connection to the venue could be made at all, so the request cannot have reached it.</summary>
    public bool NeverSent { get; } = neverSent;

    public ErrorKind Kind { get; } = kind;

    /// <summary>The HTTP status of the answer, or null when none came (timeout, dropped connection).</summary>
    public int? HttpStatus { get; } = httpStatus;

    /// <summary>The venue's <c>retCode</c>, when it sent one.</summary>
    public int? Code { get; } = code;

    /// <summary>
    /// Whether the request may have been carried out although no definite answer came: no answer, a 5xx, a
    /// "server error/timeout" code (10000, 10016), or a success whose body could not be read.
    /// </summary>
    public bool OutcomeUnknown =>
        !NeverSent && (HttpStatus is null or >= 500 || Code is Common.BybitErrors.ServerTimeout or Common.BybitErrors.ServerError || (HttpStatus is >= 200 and < 300 && Code is null));
}
