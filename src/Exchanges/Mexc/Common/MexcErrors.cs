using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Mexc.Common;

/// <summary>
/// MEXC contract error codes this client acts on, from the "Error code" table of
/// https://mexcdevelop.github.io/apidocs/contract_v1_en (2040 and 2041 from the cancel-by-external-id example on
/// https://www.mexc.com/api-docs/futures/account-and-trading-endpoints/cancel-by-external-order-id). An error comes as
/// <c>{"success":false,"code":…,"message":"…"}</c>.
/// </summary>
internal static class MexcErrors
{
    public const int InternalError = 500;
    public const int SystemBusy = 501;
    public const int Unauthorized = 401;
    public const int KeyExpired = 402;
    public const int IpNotAllowed = 406;
    public const int TooFrequent = 510;
    public const int EndpointInaccessible = 511;

    /// <summary>"invalid request (for open api serves time more or less than 10 seconds)": Request-Time outside the window.</summary>
    public const int RequestTimeOutsideWindow = 513;
    public const int ParameterError = 600;

    /// <summary>"verify failed": the signature does not match.</summary>
    public const int SignatureFailed = 602;
    public const int ContractDoesNotExist = 1001;
    public const int BalanceInsufficient = 2005;
    public const int PositionDoesNotExist = 2009;
    public const int PriceOrQuantityAccuracy = 2015;
    public const int OrderNotExist = 2040;
    public const int OrderCannotBeCancelled = 2041;

    /// <summary>Refusals of the order itself (direction, price, quantity, margin, position, leverage, trading forbidden): the order is Rejected, not an error.</summary>
    public static bool RejectsTheOrder(int code) => code is >= 2001 and <= 2038 or 1002 or 1004 or 3001 or 3002 or 3003 or 3004 or 6001 or 6002 or 6005;

    /// <summary>What the caller should do after an error answer.</summary>
    public static ErrorKind Kind(int httpStatus, int? code) => (httpStatus, code) switch
    {
        (429, _) or (_, TooFrequent) => ErrorKind.Throttled,

        // the key (unknown, expired, this IP not on its list, without the permission) or the signature refused
        (401, _) or (_, Unauthorized or KeyExpired or IpNotAllowed or SignatureFailed or >= 701 and <= 704) => ErrorKind.Authentication,
        ( >= 500, _) or (_, InternalError or SystemBusy) => ErrorKind.VenueFailure,
        _ => ErrorKind.Rejected,
    };
}
