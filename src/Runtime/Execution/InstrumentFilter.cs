using System.Globalization;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// An instrument's filters in the simulation's doubles (0: no filter): prices on multiples of
/// <see cref="Tick"/>, quantities on multiples of <see cref="Lot"/> and at least
/// <see cref="MinQuantity"/>, notional at least <see cref="MinNotional"/>. The simulation keeps its
/// arithmetic in doubles so that results stay bit for bit what they were; exact decimals are used
/// only where an order crosses to a venue (<see cref="Instrument"/>, <see cref="OrderRequest"/>).
/// </summary>
public readonly record struct InstrumentFilter(double Tick, double Lot, double MinQuantity, double MinNotional)
{
    /// <summary>The filters of <paramref name="instrument"/>.</summary>
    public static InstrumentFilter Of(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return new((double)instrument.TickSize, (double)instrument.StepSize, (double)instrument.MinQuantity, (double)instrument.MinNotional);
    }

    /// <summary>True when any filter is set.</summary>
    public bool Any => Tick > 0 || Lot > 0 || MinQuantity > 0 || MinNotional > 0;

    /// <summary>
    /// Returns why a venue would refuse an order of |<paramref name="quantity"/>| at <paramref name="price"/>
    /// (NaN for a market order, checked at <paramref name="reference"/>), or null when it passes.
    /// <paramref name="reduceOnly"/> orders are exempt from the minimum notional, as on Binance.
    /// </summary>
    public string? Refusal(double quantity, double price, double reference, bool reduceOnly)
    {
        var q = Math.Abs(quantity);
        if (Lot > 0 && !Steps.IsMultiple(q, Lot))
            return string.Create(CultureInfo.InvariantCulture, $"quantity {q:G10} is not a multiple of the lot size {Lot:G10}");
        if (q < MinQuantity)
            return string.Create(CultureInfo.InvariantCulture, $"quantity {q:G10} is below the minimum {MinQuantity:G10}");
        if (Tick > 0 && !double.IsNaN(price) && !Steps.IsMultiple(price, Tick))
            return string.Create(CultureInfo.InvariantCulture, $"price {price:G10} is not a multiple of the tick size {Tick:G10}");
        var at = double.IsNaN(price) ? reference : price;
        if (!reduceOnly && MinNotional > 0 && q * at < MinNotional)
            return string.Create(CultureInfo.InvariantCulture, $"notional {q * at:G10} is below the minimum {MinNotional:G10}");
        return null;
    }
}

/// <summary>
/// Rounding to a price or quantity step in doubles. A value within one part in 10⁹ of a step's
/// multiple counts as that multiple, so that a quotient such as 0.3 / 0.1 = 2.9999999999999996 is
/// not rounded a whole step away.
/// </summary>
public static class Steps
{
    private const double Tolerance = 1e-9;

    /// <summary>Returns the largest multiple of <paramref name="step"/> at or below <paramref name="x"/>.</summary>
    public static double Down(double x, double step)
    {
        // relative, as in IsMultiple: 20,063.6 / 0.001 is 20,063,599.999999996 in doubles, yet 20,063.6 is on the lots
        var n = x / step;
        return Math.Floor(n + (Tolerance * Math.Max(1, Math.Abs(n)))) * step;
    }

    /// <summary>Returns the smallest multiple of <paramref name="step"/> at or above <paramref name="x"/>.</summary>
    public static double Up(double x, double step)
    {
        var n = x / step;
        return Math.Ceiling(n - (Tolerance * Math.Max(1, Math.Abs(n)))) * step;
    }

    /// <summary>Returns <paramref name="x"/> rounded to a multiple of <paramref name="step"/> towards zero.</summary>
    public static double TowardZero(double x, double step) => x < 0 ? -Down(-x, step) : Down(x, step);

    /// <summary>True when <paramref name="x"/> is a multiple of <paramref name="step"/>.</summary>
    public static bool IsMultiple(double x, double step)
    {
        var n = x / step;
        return Math.Abs(n - Math.Round(n)) <= Tolerance * Math.Max(1, Math.Abs(n));
    }

    /// <summary>Returns <paramref name="x"/> as a decimal rounded to a multiple of <paramref name="step"/> towards zero (exact; 0: unrounded).</summary>
    public static decimal TowardZero(decimal x, decimal step) => step > 0 ? decimal.Truncate(x / step) * step : x;

    /// <summary>Returns <paramref name="x"/> as a decimal rounded down to a multiple of <paramref name="step"/> (0: unrounded).</summary>
    public static decimal Down(decimal x, decimal step) => step > 0 ? decimal.Floor(x / step) * step : x;

    /// <summary>Returns <paramref name="x"/> as a decimal rounded up to a multiple of <paramref name="step"/> (0: unrounded).</summary>
    public static decimal Up(decimal x, decimal step) => step > 0 ? decimal.Ceiling(x / step) * step : x;

    /// <summary>Returns a double as the decimal a venue is sent: at most 15 significant digits, as <c>(decimal)double</c> keeps.</summary>
    public static decimal ToDecimal(double x) =>
        double.IsFinite(x) ? (decimal)x : throw new ArgumentOutOfRangeException(nameof(x), x, "a venue takes finite prices and quantities only");
}
