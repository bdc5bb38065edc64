using System.Globalization;
using System.Text.Json;
using StrategyLab.Exchanges.Streaming;

namespace StrategyLab.Exchanges.Bybit.WebSocket;

/// <summary>A Bybit stream refused a request (authentication, subscription): sending it again as it is will not help.</summary>
internal sealed class BybitStreamRefused(string message) : IOException(message);

/// <summary>
/// A Bybit v5 websocket (https://bybit-exchange.github.io/docs/v5/ws/connect): on opening it sends each request
/// (<c>auth</c>, <c>subscribe</c>) and waits for its answer, failing with <see cref="BybitStreamRefused"/> when the
/// venue says <c>"success": false</c>; then it sends <c>{"op":"ping"}</c> every heartbeat interval, as Bybit asks, and
/// hands on only topic messages: answers to requests and heartbeats are consumed here. A stream silent past the idle
/// timeout (no data and no pong) counts as dropped.
/// </summary>
internal sealed class BybitSocket : IStreamConnection
{
    private readonly WebSocketTextConnection _connection;
    private readonly Queue<string> _early = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeat = Task.CompletedTask;
    private int _requests;

    private BybitSocket(WebSocketTextConnection connection) => _connection = connection;

    /// <summary>Opens <paramref name="address"/>, sends <paramref name="requests"/> in order (each waits for its answer), and starts the heartbeat.</summary>
    public static async Task<IStreamConnection> OpenAsync(
        Uri address, IReadOnlyList<(string Op, object[] Args)> requests, BybitOptions options, CancellationToken ct)
    {
        var socket = new BybitSocket(await WebSocketTextConnection.OpenAsync(address, options.StreamIdleTimeout, options.TimeProvider, ct).ConfigureAwait(false));
        try
        {
            foreach (var (op, args) in requests)
            {
                await socket.RequestAsync(op, args, ct).ConfigureAwait(false);
            }

            socket._heartbeat = socket.Heartbeat(options.HeartbeatInterval, options.TimeProvider, socket._stop.Token);
            return socket;
        }
        catch
        {
            await socket.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<string?> ReceiveAsync(CancellationToken ct)
    {
        if (_early.TryDequeue(out var queued))
        {
            return queued;
        }

        while (true)
        {
            var text = await _connection.ReceiveAsync(ct).ConfigureAwait(false);
            if (text is null || Classify(text).IsTopic)
            {
                return text;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RequestAsync(string op, object[] args, CancellationToken ct)
    {
        var id = $"{op}-{Interlocked.Increment(ref _requests).ToString(CultureInfo.InvariantCulture)}";
        await _connection.SendAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["req_id"] = id, ["op"] = op, ["args"] = args }), ct).ConfigureAwait(false);
        while (true)
        {
            var text = await _connection.ReceiveAsync(ct).ConfigureAwait(false) ?? throw new IOException($"the venue closed the stream before answering {op}");
            var message = Classify(text);
            if (message.IsTopic)
            {
                _early.Enqueue(text);
            }
            else if (message.Op == op)
            {
                if (message.Success == false)
                {
                    throw new BybitStreamRefused($"Bybit refused the stream's {op}: {message.Reason}");
                }

                return;
            }
        }
    }

    private async Task Heartbeat(TimeSpan interval, TimeProvider time, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, ct).ConfigureAwait(false);
                var id = $"ping-{Interlocked.Increment(ref _requests).ToString(CultureInfo.InvariantCulture)}";
                await _connection.SendAsync($"{{\"req_id\":\"{id}\",\"op\":\"ping\"}}", ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // the stream is closing or broken: receiving reports it
        }
    }

    private static Message Classify(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Message(false, null, null, "");
            }

            if (root.TryGetProperty("topic", out _))
            {
                return new Message(true, null, null, "");
            }

            var op = root.TryGetProperty("op", out var o) ? o.GetString() : null;
            bool? success = root.TryGetProperty("success", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null;
            var reason = root.TryGetProperty("ret_msg", out var r) ? r.ToString() : "";
            return new Message(false, op, success, reason.ReplaceLineEndings(" "));
        }
        catch (JsonException)
        {
            return new Message(false, null, null, "");
        }
    }

    private sealed record Message(bool IsTopic, string? Op, bool? Success, string Reason);
}
