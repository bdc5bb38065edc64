using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>
/// Bybit v5 <c>retCode</c> values this client acts on (https://bybit-exchange.github.io/docs/v5/error), and what a
/// caller should do about each (<see cref="Kind"/>).
/// </summary>
internal static class BybitErrors
{
    public const int ServerTimeout = 10000;
    public const int ParameterError = 10001;
    public const int TimestampOutsideWindow = 10002;
    public const int InvalidApiKey = 10003;
    public const int InvalidSignature = 10004;
    public const int PermissionDenied = 10005;
    public const int TooManyVisits = 10006;
    public const int AuthenticationFailed = 10007;
    public const int IpNotBound = 10010;
    public const int ServerError = 10016;
    public const int ApiKeyExpired = 33004;
    public const int OrderNotFound = 110001;
    public const int WalletBalanceInsufficient = 110004;
    public const int AvailableBalanceInsufficient = 110007;
    public const int ReduceOnlyNotSatisfied = 110017;
    public const int PositionModeNotModified = 110025;
    public const int LeverageNotModified = 110043;
    public const int OrderLinkIdDuplicate = 110072;
    public const int BelowMinimumNotional = 110094;

    /// <summary>Whether <paramref name="code"/> may pass if the same request is sent again after a pause.</summary>
    public static bool IsTransient(int code) => code is ServerTimeout or TooManyVisits or ServerError;

    /// <summary>
    /// Refusals of an order for what it is (parameters off the filters, margin, reduce-only, notional): answered as an
    /// order in state Rejected with the venue's reason rather than as a failure of the call.
    /// </summary>
    public static bool RejectsTheOrder(int code) =>
        code is ParameterError or WalletBalanceInsufficient or AvailableBalanceInsufficient or ReduceOnlyNotSatisfied or BelowMinimumNotional
            or 110003 // price out of the permitted range
            or 110009 // too many conditional orders
            or 110012 // insufficient available balance
            or 110020 // too many active orders
            or 110040; // the order would trigger liquidation

    /// <summary>What a caller should do after <paramref name="code"/> (or, with none, HTTP <paramref name="status"/>).</summary>
    public static ErrorKind Kind(int status, int? code) => code switch
    {
        TooManyVisits => ErrorKind.Throttled,
        ServerTimeout or ServerError => ErrorKind.VenueFailure,
        InvalidApiKey or InvalidSignature or PermissionDenied or AuthenticationFailed or IpNotBound or ApiKeyExpired => ErrorKind.Authentication,
        { } => ErrorKind.Rejected,
        null => status switch
        {
            429 or 403 => ErrorKind.Throttled,
            401 => ErrorKind.Authentication,
            >= 500 => ErrorKind.VenueFailure,
            _ => ErrorKind.Rejected,
        },
    };
}
