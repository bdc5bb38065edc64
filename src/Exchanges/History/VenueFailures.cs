using TradingErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.History;

/// <summary>A trading client's failure, left after its own retries, in the history's terms.</summary>
internal static class VenueFailures
{
    /// <summary>
    /// <paramref name="cause"/> (whose one-line message names the venue, the request and the venue's code and message) as
    /// an <see cref="ExchangeException"/> saying what was being done: no connection ever made is
    /// <see cref="ExchangeErrorKind.Unreachable"/>, a refusal <see cref="ExchangeErrorKind.Rejected"/>, a rate limit
    /// <see cref="ExchangeErrorKind.RateLimited"/>, a successful answer that could not be read
    /// <see cref="ExchangeErrorKind.MalformedResponse"/>, anything else <see cref="ExchangeErrorKind.ServerError"/>.
    /// </summary>
    public static ExchangeException Of(string doing, Exception cause, bool neverSent, TradingErrorKind kind, int? httpStatus, int? code)
    {
        var mapped = (neverSent, kind, httpStatus, code) switch
        {
            (true, _, _, _) => ExchangeErrorKind.Unreachable,
            (_, TradingErrorKind.Rejected, _, _) => ExchangeErrorKind.Rejected,
            (_, TradingErrorKind.Throttled, _, _) => ExchangeErrorKind.RateLimited,
            (_, _, >= 200 and < 300, null) => ExchangeErrorKind.MalformedResponse,
            _ => ExchangeErrorKind.ServerError,
        };
        return new ExchangeException(mapped, $"cannot {doing}: {cause.Message}", cause, code);
    }
}
