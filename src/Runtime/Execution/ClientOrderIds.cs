using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// Deterministic client order ids: the same decision (run, bar, symbol, purpose, attempt) gives the
/// same id, so that an order is journaled under its id before it is sent and a restarted runner
/// finds at the venue the orders it sent. Ids are at most 36 characters of <c>[a-z0-9-]</c>, which
/// every supported venue accepts (Binance: <c>^[\.A-Z\:/a-z0-9_-]{1,36}$</c>).
/// </summary>
public static class ClientOrderIds
{
    /// <summary>The longest id a venue takes.</summary>
    public const int MaxLength = 36;

    /// <summary>The last attempt an id can number (one base-36 digit).</summary>
    public const int MaxAttempt = 35;

    /// <summary>
    /// Returns the id of attempt <paramref name="attempt"/> (0 the first quote, then re-quotes and the
    /// fallback) of the order for <paramref name="symbol"/> decided at the close of the bar opening at
    /// <paramref name="barTime"/> (Unix ms) by the run <paramref name="runKey"/> (e.g. the plan's content
    /// hash and the account's name), e.g. <c>sl3f9a0c21-lxkz3q00-1q2w3e-r0</c>.
    /// </summary>
    public static string For(string runKey, long barTime, string symbol, OrderPurpose purpose, int attempt)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        ArgumentNullException.ThrowIfNull(symbol);
        ArgumentOutOfRangeException.ThrowIfNegative(barTime);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(attempt, MaxAttempt);
        var run = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(runKey)), 0, 4);
        var sym = Base36(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(symbol)), 0) % 2_176_782_336u); // 36^6
        return string.Create(CultureInfo.InvariantCulture, $"sl{run}-{Base36((ulong)barTime)}-{sym.PadLeft(6, '0')}-{Letter(purpose)}{Base36((ulong)attempt)}");
    }

    /// <summary>Returns the start every id of the run <paramref name="runKey"/> shares (e.g. <c>sl3f9a0c21-</c>), to tell its orders from others'.</summary>
    public static string RunPrefix(string runKey)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        return "sl" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(runKey)), 0, 4) + "-";
    }

    private static char Letter(OrderPurpose purpose) => purpose switch
    {
        OrderPurpose.Rebalance => 'r',
        OrderPurpose.StopLoss => 's',
        OrderPurpose.TrailingStop => 't',
        OrderPurpose.TakeProfit => 'p',
        OrderPurpose.Roi => 'o',
        OrderPurpose.MaxHold => 'h',
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "the venue's own closes have no client order id"),
    };

    private static string Base36(ulong value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        Span<char> text = stackalloc char[13];
        var k = text.Length;
        do
        {
            text[--k] = digits[(int)(value % 36)];
            value /= 36;
        }
        while (value > 0);
        return new string(text[k..]);
    }
}
