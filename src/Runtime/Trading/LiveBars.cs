using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>A closed bar of every asset, as a runner appends it to its history: one array of asset values per column (NaN where an asset has no bar).</summary>
public sealed record BarRowValues(long Time, double[][] Columns);

/// <summary>
/// A venue's market data for a runner: the history of closed bars read over REST to warm the plan up, then each bar
/// as it closes from the venue's streams, a row of every asset at a time. A row is complete once every asset's stream
/// has delivered that bar or a later one (streams deliver each bar once and in order, backfilling after a reconnect),
/// so an asset that did not trade in a bar has NaN there instead of holding the others back.
/// </summary>
public static class LiveBars
{
    /// <summary>The columns a venue's bars fill.</summary>
    public static readonly ImmutableArray<string> Columns = ["open", "high", "low", "close", "volume"];

    /// <summary>
    /// The last <paramref name="count"/> bars of <paramref name="symbols"/> closed at the venue by now, oldest first, as a
    /// history named <paramref name="names"/> by asset (the plan's own symbols; <paramref name="symbols"/> are the venue's).
    /// </summary>
    public static async Task<BarHistory> HistoryAsync(IExchange exchange, IReadOnlyList<string> symbols, ImmutableArray<string> names, Interval interval,
        int count, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(symbols);
        var open = exchange.Now.ToUnixTimeMilliseconds() / interval.Milliseconds * interval.Milliseconds;
        var from = open - (count * interval.Milliseconds);
        var rows = new SortedDictionary<long, double[][]>();
        for (var i = 0; i < symbols.Count; i++)
        {
            foreach (var bar in await exchange.Bars(symbols[i], interval, from, open, cancel).ConfigureAwait(false))
                Put(rows, bar, i, symbols.Count);
        }
        var history = new BarHistory("live", interval, names, Columns);
        foreach (var (time, values) in rows)
            history.Append(time, values);
        return history;
    }

    /// <summary>Each bar of <paramref name="symbols"/> opening at or after <paramref name="since"/> as it closes, a row at a time, oldest first.</summary>
    public static async IAsyncEnumerable<BarRowValues> StreamAsync(IMarketFeed feed, IReadOnlyList<string> symbols, Interval interval, long since,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(symbols);
        var channel = Channel.CreateUnbounded<(int Asset, VenueBar Bar)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var readers = symbols.Select((symbol, i) => Task.Run(async () =>
        {
            await foreach (var bar in feed.StreamBars(symbol, interval, since, stop.Token).ConfigureAwait(false))
                await channel.Writer.WriteAsync((i, bar), stop.Token).ConfigureAwait(false);
        }, stop.Token)).ToArray();
        // a stream that fails ends the rows with its error instead of leaving them waiting
        _ = Task.WhenAll(readers).ContinueWith(t => channel.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        var latest = new long[symbols.Count];
        latest.AsSpan().Fill(long.MinValue);
        var rows = new SortedDictionary<long, double[][]>();
        try
        {
            await foreach (var (asset, bar) in channel.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                Put(rows, bar, asset, symbols.Count);
                latest[asset] = Math.Max(latest[asset], bar.OpenTime);
                var complete = latest.Min();
                while (rows.Count > 0 && rows.First().Key <= complete)
                {
                    var (time, values) = rows.First();
                    rows.Remove(time);
                    yield return new BarRowValues(time, values);
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static void Put(SortedDictionary<long, double[][]> rows, VenueBar bar, int asset, int assets)
    {
        if (!rows.TryGetValue(bar.OpenTime, out var values))
        {
            values = [.. Columns.Select(_ => Enumerable.Repeat(double.NaN, assets).ToArray())];
            rows[bar.OpenTime] = values;
        }
        values[0][asset] = bar.Open;
        values[1][asset] = bar.High;
        values[2][asset] = bar.Low;
        values[3][asset] = bar.Close;
        values[4][asset] = bar.Volume;
    }
}
