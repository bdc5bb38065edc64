using System.Globalization;

namespace StrategyLab.Exchanges.History;

/// <summary>An interval a venue serves: its name in datasets (<c>1h</c>), the venue's name for it (<c>60</c>, <c>Min60</c>) and its length.</summary>
internal sealed record VenueInterval(string Text, string VenueName, long Milliseconds);

/// <summary>A kline as a venue without trade counts or taker volumes sends it: volume in the base asset, quote volume in the quote asset.</summary>
internal sealed record VenueKline(long OpenTime, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, decimal QuoteVolume);

/// <summary>A settled funding rate; its time in Unix milliseconds.</summary>
internal sealed record VenueFunding(long Time, decimal Rate);

/// <summary>
/// Pages of venues that answer a time window with at most a page of rows, in whatever order and from whichever end
/// (Bybit sends the newest first, MEXC the oldest): a window never holds more rows than a page, so every answer is
/// complete; its rows are put in time order and written in the <see cref="HistoryFiles"/> layouts.
/// </summary>
internal static class VenueKlines
{
    /// <summary>The interval named <paramref name="text"/>, or an <see cref="ExchangeErrorKind.InvalidRequest"/> naming the venue, the symbols and what it serves.</summary>
    public static VenueInterval Find(IReadOnlyList<VenueInterval> served, string? text, string venue, IReadOnlyList<string>? symbols)
    {
        if (served.FirstOrDefault(i => string.Equals(i.Text, text, StringComparison.Ordinal)) is { } found)
        {
            return found;
        }

        var asked = symbols is { Count: > 0 } ? $" (asked for {string.Join(", ", symbols)})" : "";
        throw new ExchangeException(
            ExchangeErrorKind.InvalidRequest,
            $"{venue} serves no {(text is null ? "such" : $"'{text}'")} klines{asked}; it serves {string.Join(", ", served.Select(i => i.Text))}");
    }

    /// <summary>The exclusive end of the window from <paramref name="cursor"/> that holds at most <paramref name="perPage"/> rows <paramref name="step"/> apart.</summary>
    public static long WindowEnd(long cursor, long end, int perPage, long step) => Math.Min(end, cursor + (perPage * step));

    /// <summary>
    /// One window's klines in time order as CSV rows of <see cref="HistoryFiles.KlineHeader"/>, each closing at its open
    /// time plus the interval less 1 ms. A kline opening after the venue's latest time, or two opening at once, make the
    /// answer wrong: <see cref="ExchangeErrorKind.MalformedResponse"/>.
    /// </summary>
    public static HistoryPage Page(
        HistoryDownload download, string venue, string symbol, IEnumerable<VenueKline> klines, long intervalMs, (long Earliest, long Latest) served, long windowEnd)
    {
        var rows = new List<VenueRow>();
        foreach (var k in klines.OrderBy(k => k.OpenTime))
        {
            if (k.OpenTime > served.Latest)
            {
                throw download.BarFromTheFuture(symbol, k.OpenTime, served.Latest);
            }

            if (rows.Count > 0 && rows[^1].Key == k.OpenTime)
            {
                throw Twice(venue, symbol, "klines", k.OpenTime);
            }

            var close = k.OpenTime + intervalMs - 1;
            rows.Add(new VenueRow(k.OpenTime, close, Line(k.OpenTime, k.Open, k.High, k.Low, k.Close, k.Volume, close, k.QuoteVolume)));
        }

        return new HistoryPage(rows, served.Earliest, windowEnd);
    }

    /// <summary>One window's funding rates in time order as CSV rows of <see cref="HistoryFiles.FundingHeader"/>, under the dataset's name of the symbol.</summary>
    public static HistoryPage FundingPage(string venue, string name, IEnumerable<VenueFunding> records, long earliest, long windowEnd)
    {
        var rows = new List<VenueRow>();
        foreach (var f in records.OrderBy(f => f.Time))
        {
            if (rows.Count > 0 && rows[^1].Key == f.Time)
            {
                throw Twice(venue, name, "funding rates", f.Time);
            }

            rows.Add(new VenueRow(f.Time, f.Time, Line(f.Time, name, f.Rate)));
        }

        return new HistoryPage(rows, earliest, windowEnd);
    }

    private static ExchangeException Twice(string venue, string symbol, string what, long time) =>
        new(ExchangeErrorKind.MalformedResponse, $"{venue} answered a request for {symbol} {what} with two rows at {HistoryDownload.Show(time)}");

    private static string Line(params object[] fields) => string.Join(',', fields.Select(f => Convert.ToString(f, CultureInfo.InvariantCulture)));
}
