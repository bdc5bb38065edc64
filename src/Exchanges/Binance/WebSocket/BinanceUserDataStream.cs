using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Binance.WebSocket;

/// <summary>
/// The account's user data stream: a listen key from <c>POST /fapi/v1/listenKey</c>, the websocket
/// <c>/ws/&lt;listenKey&gt;</c>, the key kept alive with <c>PUT /fapi/v1/listenKey</c> every
/// <see cref="BinanceFuturesOptions.ListenKeyKeepalive"/>, and a new key and connection when the venue says
/// <c>listenKeyExpired</c>, a keepalive finds the key gone (-1125), or the socket drops (after backoff). After every
/// reconnection an <see cref="AccountStreamGap"/> tells the consumer to reconcile. Keys the venue refuses end the stream
/// with an <see cref="ExchangeError"/> of kind Authentication: they would be refused again. The listen key is never logged.
/// </summary>
internal sealed class BinanceUserDataStream(
    BinanceFuturesHttpClient http,
    Func<Uri, CancellationToken, Task<IStreamConnection>> connect,
    BinanceFuturesOptions options)
{
    private readonly ILogger _log = options.Logger;
    private readonly Backoff _backoff = new(options.StreamReconnectBaseDelay, options.StreamReconnectMaxDelay, options.Jitter);

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
                var key = await http.StartUserDataStream(ct).ConfigureAwait(false);
                await using var connection = await connect(BinanceUrls.Stream(options.Environment.StreamBase, key), ct).ConfigureAwait(false);
                if (interrupted is not null)
                {
                    await output.WriteAsync(new AccountStreamGap(http.Clock.GetUtcNow(), interrupted), ct).ConfigureAwait(false);
                }

                failures = 0;
                using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var keepalive = KeepAlive(session);
                try
                {
                    interrupted = await Receive(connection, output, session.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // only the keepalive ends a session this way, and it says why
                    interrupted = await keepalive.ConfigureAwait(false) ?? "the user data stream was interrupted";
                }
                finally
                {
                    await session.CancelAsync().ConfigureAwait(false);
                    await keepalive.ConfigureAwait(false);
                }

                _log.LogWarning("Binance user data stream: {Reason}; opening a new one", interrupted);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (BinanceApiException e) when (e.Kind == Runtime.Execution.ExchangeErrorKind.Authentication)
            {
                output.TryComplete(new ExchangeError(e.Message, Runtime.Execution.ExchangeErrorKind.Authentication));
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures++;
                interrupted = "the user data stream dropped";
                var delay = _backoff.Delay(failures);
                _log.LogWarning("Binance user data stream: {Reason}; reconnecting in {Seconds:0.###} s (attempt {Attempt})", http.Scrub(e.Message.ReplaceLineEndings(" ")), delay.TotalSeconds, failures);
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

    // events until the venue ends the session; returns why it ended
    private async Task<string> Receive(IStreamConnection connection, ChannelWriter<AccountEvent> output, CancellationToken ct)
    {
        while (true)
        {
            var text = await connection.ReceiveAsync(ct).ConfigureAwait(false) ?? throw new IOException("the venue closed the user data stream");
            switch (BinanceWsParse.UserEvent(text))
            {
                case BinanceListenKeyExpired:
                    return "the listen key expired";
                case BinanceOrderUpdate order:
                    await output.WriteAsync(OrderEvent(order), ct).ConfigureAwait(false);
                    break;
                case BinanceAccountUpdate account:
                    foreach (var change in AccountEvents(account))
                    {
                        await output.WriteAsync(change, ct).ConfigureAwait(false);
                    }

                    break;
                case BinanceOtherEvent other:
                    _log.LogDebug("Binance user data stream: {Type} event not acted on {Detail}", other.Type, other.Detail);
                    break;
            }
        }
    }

    // keeps the key alive until the session ends; returns why it ended the session itself, if it did
    private async Task<string?> KeepAlive(CancellationTokenSource session)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.ListenKeyKeepalive, options.TimeProvider, session.Token).ConfigureAwait(false);
                try
                {
                    await http.KeepaliveUserDataStream(session.Token).ConfigureAwait(false);
                }
                catch (BinanceApiException e) when (e.Code == BinanceErrors.InvalidListenKey)
                {
                    await session.CancelAsync().ConfigureAwait(false);
                    return "the listen key no longer exists";
                }
                catch (BinanceApiException e)
                {
                    // the key lives 60 minutes: the next keepalive may still save it
                    _log.LogWarning("Binance user data stream keepalive failed: {Reason}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    internal static OrderEvent OrderEvent(BinanceOrderUpdate order)
    {
        var state = new OrderState(
            order.ClientOrderId,
            order.OrderId.ToString(CultureInfo.InvariantCulture),
            order.Symbol,
            order.Side,
            order.Type,
            order.Quantity,
            order.FilledQuantity,
            order.Price == 0m ? null : order.Price,
            order.AveragePrice,
            order.Status,
            order.EventTime);
        var execution = order.IsTrade
            ? new ExecutionReport(
                order.TradeId.ToString(CultureInfo.InvariantCulture),
                order.ClientOrderId,
                order.Symbol,
                order.Side,
                order.LastFilledQuantity,
                order.LastFilledPrice,
                order.Commission,
                order.CommissionAsset,
                order.Maker,
                order.TradeTime)
            : null;
        return new OrderEvent(order.EventTime, state, execution);
    }

    internal static IEnumerable<AccountEvent> AccountEvents(BinanceAccountUpdate account)
    {
        foreach (var balance in account.Balances)
        {
            yield return new BalanceEvent(account.EventTime, balance.Asset, balance.WalletBalance, account.Reason);
        }

        foreach (var position in account.Positions)
        {
            yield return new PositionEvent(account.EventTime, new VenuePosition(position.Symbol, position.Amount, position.EntryPrice));
        }
    }
}
