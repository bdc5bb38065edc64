using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Bybit.Http;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Bybit.WebSocket;

/// <summary>
/// The account's private stream (https://bybit-exchange.github.io/docs/v5/ws/connect): <c>/v5/private</c>,
/// authenticated with <c>auth</c> (key, expiry, signature of <c>"GET/realtime" + expires</c>), subscribed to
/// <c>order</c>, <c>execution</c>, <c>position</c> and <c>wallet</c>, kept alive by the heartbeat. A dropped or silent
/// socket reconnects after backoff, and every reconnection is announced by an <see cref="AccountStreamGap"/> so the
/// consumer reconciles. A refused authentication ends the stream with an <see cref="ExchangeError"/> (kind Authentication):
/// the same key would be refused again. Executions become <see cref="OrderEvent"/>s carrying an
/// <see cref="ExecutionReport"/>, with the order's filled quantity from the fill and its average price carried from
/// the order's last update; the <c>order</c> message Bybit sends with it carries Bybit's own figures.
/// </summary>
internal sealed class BybitPrivateStream(BybitHttpClient http, BybitOptions options)
{
    private static readonly string[] Topics = ["order", "execution", "position", "wallet"];

    private readonly ILogger _log = options.Logger;
    private readonly Backoff _backoff = new(options.StreamReconnectBaseDelay, options.StreamReconnectMaxDelay, options.Jitter);
    private readonly Dictionary<string, OrderState> _orders = new(StringComparer.Ordinal);

    public async IAsyncEnumerable<AccountEvent> Run([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<AccountEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = Pump(channel.Writer, stop.Token);
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    private async Task Pump(ChannelWriter<AccountEvent> output, CancellationToken ct)
    {
        var failures = 0;
        string? interrupted = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await http.SyncClock(ct).ConfigureAwait(false);
                var (key, expires, signature) = http.WebSocketAuth(TimeSpan.FromSeconds(10));
                await using var connection = await BybitSocket.OpenAsync(
                    options.Environment.PrivateStream, [("auth", [key, expires, signature]), ("subscribe", Topics)], options, ct).ConfigureAwait(false);
                if (interrupted is not null)
                {
                    await output.WriteAsync(new AccountStreamGap(http.Clock.GetUtcNow(), interrupted), ct).ConfigureAwait(false);
                }

                failures = 0;
                while (true)
                {
                    var text = await connection.ReceiveAsync(ct).ConfigureAwait(false) ?? throw new IOException("the venue closed the private stream");
                    foreach (var item in Events(text))
                    {
                        await output.WriteAsync(item, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (BybitStreamRefused e)
            {
                output.TryComplete(new ExchangeError(http.Scrub(e.Message), Runtime.Execution.ExchangeErrorKind.Authentication));
                return;
            }
            catch (Exception e) when (e is IOException or BybitApiException or BybitMalformedBody or JsonException or System.Net.WebSockets.WebSocketException or HttpRequestException)
            {
                failures++;
                interrupted = http.Scrub(e.Message.ReplaceLineEndings(" "));
                var delay = _backoff.Delay(failures);
                _log.LogWarning("Bybit private stream: {Reason}; reconnecting in {Seconds:0.###} s (attempt {Attempt})", interrupted, delay.TotalSeconds, failures);
                try
                {
                    await Task.Delay(delay, options.TimeProvider, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        output.TryComplete();
    }

    private List<AccountEvent> Events(string text)
    {
        using var document = JsonDocument.Parse(text);
        var (topic, time, rows) = BybitWsParse.Private(document);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time);
        var events = new List<AccountEvent>();
        foreach (var row in rows)
        {
            switch (topic)
            {
                case "order":
                    var order = BybitStates.Order(BybitParse.Order(row));
                    _orders[order.ClientOrderId] = order;
                    events.Add(new OrderEvent(order.UpdatedAt, order, null));
                    break;
                case "execution":
                    var fill = BybitParse.Execution(row);
                    if (fill.ExecType is "Trade" or "AdlTrade" or "BustTrade")
                    {
                        events.Add(Filled(fill));
                    }

                    break;
                case "position":
                    var position = BybitParse.Position(row);
                    events.Add(new PositionEvent(BybitWsParse.UpdatedOr(row, time), new Runtime.Execution.VenuePosition(position.Symbol, position.Signed, position.AvgPrice)));
                    break;
                case "wallet":
                    events.AddRange(BybitWsParse.WalletCoins(row).Select(c => (AccountEvent)new BalanceEvent(at, c.Coin, c.WalletBalance, "wallet")));
                    break;
            }
        }

        return events;
    }

    private OrderEvent Filled(BybitExecution fill)
    {
        var filled = fill.OrderQty - fill.LeavesQty;
        var before = _orders.GetValueOrDefault(fill.OrderLinkId);
        var previous = before is null ? 0m : before.FilledQuantity;
        var average = before is not null && previous + fill.ExecQty == filled && filled > 0m
            ? ((before.AverageFillPrice * previous) + (fill.ExecPrice * fill.ExecQty)) / filled
            : filled == fill.ExecQty ? fill.ExecPrice : 0m;
        var state = new OrderState(
            fill.OrderLinkId,
            fill.OrderId,
            fill.Symbol,
            fill.Side,
            before?.Type ?? (fill.OrderType == "Limit" ? OrderType.Limit : OrderType.Market),
            fill.OrderQty,
            filled,
            fill.OrderPrice == 0m ? null : fill.OrderPrice,
            average,
            fill.LeavesQty == 0m ? OrderStatus.Filled : OrderStatus.PartiallyFilled,
            fill.ExecTime);
        _orders[fill.OrderLinkId] = state;
        var report = new ExecutionReport(fill.ExecId, fill.OrderLinkId, fill.Symbol, fill.Side, fill.ExecQty, fill.ExecPrice, fill.ExecFee, options.SettleCoin, fill.IsMaker, fill.ExecTime);
        return new OrderEvent(fill.ExecTime, state, report);
    }
}
