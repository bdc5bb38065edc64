using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Mexc.Http;
using StrategyLab.Exchanges.Streaming;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Mexc.WebSocket;

/// <summary>
/// The account's private pushes (https://www.mexc.com/api-docs/futures/websocket-api): a websocket that logs in with
/// <c>{"method":"login","param":{"apiKey","reqTime","signature"}}</c> (signature: HMAC-SHA256 of access key + reqTime),
/// answered <c>rs.login</c>, after which MEXC pushes <c>push.personal.order</c>, <c>push.personal.position</c> and
/// <c>push.personal.asset</c>. A dropped or silent session reconnects after backoff; every reconnection is announced by
/// an <see cref="AccountStreamGap"/>. A refused login ends the stream with an <see cref="ExchangeError"/> of kind
/// Authentication: the same keys would be refused again.
/// </summary>
internal sealed class MexcAccountStream(
    MexcHttpClient http,
    MexcFuturesOptions options,
    Func<string, CancellationToken, Task<MexcContract>> contract,
    Func<MexcOrder, CancellationToken, ValueTask<OrderState>> state)
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
                await http.SyncClock(ct).ConfigureAwait(false);
                var (key, time, signature) = http.LoginSignature();
                var login = JsonSerializer.Serialize(new { method = "login", param = new { apiKey = key, reqTime = time, signature } });
                await using var connection = await MexcStreamConnection.ConnectAsync(
                    options.Environment.StreamAddress, [login], options.StreamIdleTimeout, options.StreamPingInterval, options.TimeProvider, ct).ConfigureAwait(false);
                var answer = await connection.ReceiveAsync(ct).ConfigureAwait(false) ?? throw new IOException("the venue closed the stream at login");
                if (MexcWsParse.Data(answer, "rs.login") is not { ValueKind: JsonValueKind.String } ok || ok.GetString() != "success")
                {
                    var reason = MexcWsParse.Data(answer, "rs.login") is { ValueKind: JsonValueKind.String } said ? said.GetString() : answer;
                    output.TryComplete(new ExchangeError(http.Scrub($"MEXC refused the account stream's login: {reason}".ReplaceLineEndings(" ")), Runtime.Execution.ExchangeErrorKind.Authentication));
                    return;
                }

                if (interrupted is not null)
                {
                    await output.WriteAsync(new AccountStreamGap(http.Clock.GetUtcNow(), interrupted), ct).ConfigureAwait(false);
                }

                failures = 0;
                while (true)
                {
                    var text = await connection.ReceiveAsync(ct).ConfigureAwait(false) ?? throw new IOException("the venue closed the stream");
                    foreach (var change in await Events(text, ct).ConfigureAwait(false))
                    {
                        await output.WriteAsync(change, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures++;
                interrupted = "the account stream dropped";
                var delay = _backoff.Delay(failures);
                _log.LogWarning("MEXC account stream: {Reason}; reconnecting in {Seconds:0.###} s (attempt {Attempt})", http.Scrub(e.Message.ReplaceLineEndings(" ")), delay.TotalSeconds, failures);
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

    private async Task<IReadOnlyList<AccountEvent>> Events(string text, CancellationToken ct)
    {
        var now = http.Clock.GetUtcNow();
        if (MexcWsParse.Data(text, "push.personal.order") is { } order)
        {
            var o = await state(MexcParse.Order(order), ct).ConfigureAwait(false);
            return [new OrderEvent(o.UpdatedAt, o, null)];
        }

        if (MexcWsParse.Data(text, "push.personal.asset") is { } asset)
        {
            var a = MexcParse.Assets(JsonSerializer.SerializeToElement(new[] { asset }))[0];
            return [new BalanceEvent(now, a.Currency, a.Equity - a.Unrealized, "asset")];
        }

        if (MexcWsParse.Data(text, "push.personal.position") is { } position)
        {
            var p = MexcParse.Positions(JsonSerializer.SerializeToElement(new[] { position }))[0];
            var quantity = (await contract(p.Symbol, ct).ConfigureAwait(false)).Quantity(p.HoldVol);
            return [new PositionEvent(now, new VenuePosition(p.Symbol, p.PositionType == 2 ? -quantity : quantity, p.HoldAvgPrice))];
        }

        return [];
    }
}
