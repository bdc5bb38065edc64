using StrategyLab.Runtime.Execution;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Binance.Common;
/// <summary>
/// Binance USDⓈ-M error codes (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code) the
/// client acts on, and what each means to a caller.
/// </summary>
internal static class BinanceErrors
{
    public const int TooManyRequests = -1003;
    public const int InvalidTimestamp = -1021;
    public const int Unauthorized = -1002;
    public const int InvalidSignature = -1022;
    public const int InvalidApiKeyFormat = -2014;
    public const int RejectedApiKey = -2015;
    public const int CancelRejected = -2011;
    public const int NoSuchOrder = -2013;
    public const int InvalidListenKey = -1125;
    public const int NoNeedToChangeMarginType = -4046;
    public const int NoNeedToChangePositionSide = -4059;
    public const int PostOnlyRejected = -5022;

    /// <summary>
    /// Codes that refuse one order for what it is (post-only that would take, margin, filters, reduce-only): the order
    /// is answered as <see cref="OrderStatus.Rejected"/> rather than failing the call.
    /// </summary>
    public static bool RejectsTheOrder(int code) => code is
        -5021 or -5022 or -2010 or -2018 or -2019 or -2020 or -2021 or -2022 or -2024 or -2025 or -2027 or -2028
        or -1111 or -4003 or -4004 or -4005 or -4013 or -4014 or -4016 or -4023 or -4024 or -4118 or -4131 or -4164;

    /// <summary>What a caller should do after the venue answered <paramref name="code"/> with HTTP <paramref name="status"/>.</summary>
    public static ErrorKind Kind(int status, int? code) => (status, code) switch
    {
        (429 or 418, _) or (_, -1003 or -1015) => ErrorKind.Throttled,

        // the signature, the key's format, or the key itself (its IP list, its permissions) refused
        (401, _) or (_, Unauthorized or InvalidSignature or InvalidApiKeyFormat or RejectedApiKey) => ErrorKind.Authentication,

        // "Send status unknown; execution status unknown" and "unexpected response ... execution status unknown"
        (_, -1007 or -1006) => ErrorKind.Unknown,
        (_, -1000 or -1001 or -1016) => ErrorKind.VenueFailure,
        ( >= 500, _) => ErrorKind.VenueFailure,
        _ => ErrorKind.Rejected,
    };
}
