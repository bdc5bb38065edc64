using System.Globalization;

namespace StrategyLab.Exchanges.Mexc;

/// <summary>
/// A MEXC USDT-M perpetual as <c>GET /api/v1/contract/detail</c> describes it
/// (https://www.mexc.com/api-docs/futures/market-endpoints/get-contract-info). MEXC trades in contracts
/// (<c>vol</c>), each worth <see cref="ContractSize"/> of the base asset; the runtime speaks base-asset quantities.
/// Conversions are exact (decimal): a quantity that is not a whole number of volume units has no contract amount.
/// </summary>
/// <example>BTC_USDT with contractSize 0.0001 and volUnit 1: 0.0025 BTC is 25 contracts; 0.00025 BTC is none.</example>
internal sealed record MexcContract(
    string Symbol,
    string BaseCoin,
    string SettleCoin,
    decimal ContractSize,
    decimal PriceUnit,
    decimal VolUnit,
    decimal MinVol,
    decimal MaxVol,
    int MinLeverage,
    int MaxLeverage,
    decimal MakerFeeRate,
    decimal TakerFeeRate,
    bool ApiAllowed,
    int State)
{
    /// <summary>Base-asset quantity of <paramref name="vol"/> contracts.</summary>
    public decimal Quantity(decimal vol) => Normal(vol * ContractSize);

    /// <summary>Contracts for a base-asset <paramref name="quantity"/>, or null when it is not a whole number of volume units.</summary>
    public decimal? Vol(decimal quantity)
    {
        var vol = quantity / ContractSize;
        return vol % VolUnit == 0m ? Normal(vol) : null;
    }

    /// <summary>Why <paramref name="quantity"/> cannot be traded as it is, or null when it can.</summary>
    public string? QuantityProblem(decimal quantity) =>
        Vol(quantity) is null
            ? $"{Text(quantity)} {BaseCoin} is not a whole number of {Text(ContractSize * VolUnit)} {BaseCoin} volume units of {Symbol}"
            : null;

    private static decimal Normal(decimal value) => value / 1.000000000000000000000000000000000m;

    private static string Text(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);
}
