using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Streaming;

/// <summary>
/// Closed bars of one symbol from a venue's stream, complete and in order across disconnects, for any venue. Each
/// (re)connection subscribes first and then fetches over REST every bar that closed since the last one delivered, so
/// nothing that closed while the stream was down, or before it was up, is lost; a bar is delivered only if it opens
/// after the last one delivered, so the overlap between REST and stream gives no duplicates; and a bar arriving on the
/// stream past a hole (a message the venue never sent) fetches the hole first. A dropped, silent or failing stream
/// reconnects after <see cref="Backoff"/>.
/// </summary>
/// <param name="name">What the stream is, for log lines, e.g. <c>BTCUSDT 1m klines</c>.</param>
/// <param name="intervalMs">The bar length, to tell a hole on the stream.</param>
/// <param name="connect">Opens the subscribed stream.</param>
/// <param name="parse">Reads one message: the closed bar it reports, or null (a bar still open, another event).</param>
/// <param name="closedBarsFrom">Every closed bar opening at or after a time, oldest first (all pages), over REST.</param>
/// <param name="observer">Hears each connection caught up and each drop (metrics, disconnect alerts).</param>
internal sealed class ReconnectingBarStream(
    string name,
    long intervalMs,
    Func<CancellationToken, Task<IStreamConnection>> connect,
    Func<string, VenueBar?> parse,
    Func<long, CancellationToken, Task<IReadOnlyList<VenueBar>>> closedBarsFrom,
    Backoff backoff,
    TimeProvider time,
    ILogger log,
    IVenueObserver? observer = null)
{
    /// <summary>Bars opening at or after <paramref name="since"/>, until cancelled.</summary>
    public async IAsyncEnumerable<VenueBar> Run(long since, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<VenueBar>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = Pump(since, channel.Writer, stop.Token);
        try
        {
            await foreach (var bar in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return bar;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    private async Task Pump(long since, ChannelWriter<VenueBar> output, CancellationToken ct)
    {
        var cursor = new Cursor(since);
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await connect(ct).ConfigureAwait(false);

                // subscribed: what closed before now comes over REST, what closes from now on over the stream
                await Deliver(await closedBarsFrom(cursor.Next, ct).ConfigureAwait(false), cursor, output, ct).ConfigureAwait(false);
                failures = 0;
                observer?.StreamConnected(name);
                while (true)
                {
                    var text = await connection.ReceiveAsync(ct).ConfigureAwait(false)
                        ?? throw new IOException("the venue closed the stream");
                    if (parse(text) is not { } bar || bar.OpenTime < cursor.Next)
                    {
                        continue;
                    }

                    if (cursor.Last is { } last && bar.OpenTime > last + intervalMs)
                    {
                        log.LogWarning("{Stream}: the stream skipped from {Last} to {Open}; fetching the bars between", name, last, bar.OpenTime);
                        await Deliver(await closedBarsFrom(cursor.Next, ct).ConfigureAwait(false), cursor, output, ct).ConfigureAwait(false);
                    }

                    await Deliver([bar], cursor, output, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures++;
                observer?.StreamDropped(name, e.Message.ReplaceLineEndings(" "));
                var delay = backoff.Delay(failures);
                log.LogWarning("{Stream}: {Reason}; reconnecting in {Seconds:0.###} s (attempt {Attempt})", name, e.Message.ReplaceLineEndings(" "), delay.TotalSeconds, failures);
                try
                {
                    await Task.Delay(delay, time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        output.TryComplete();
    }

    private static async Task Deliver(IReadOnlyList<VenueBar> bars, Cursor cursor, ChannelWriter<VenueBar> output, CancellationToken ct)
    {
        foreach (var bar in bars.OrderBy(b => b.OpenTime))
        {
            if (bar.OpenTime >= cursor.Next)
            {
                await output.WriteAsync(bar, ct).ConfigureAwait(false);
                cursor.Delivered(bar.OpenTime);
            }
        }
    }

    // the open time of the last bar delivered; the next must open after it
    private sealed class Cursor(long since)
    {
        public long? Last { get; private set; }

        public long Next => Last is { } last ? last + 1 : since;

        public void Delivered(long openTime) => Last = openTime;
    }
}
