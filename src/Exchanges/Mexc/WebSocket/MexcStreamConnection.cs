using System.Net.WebSockets;
using System.Text;
using StrategyLab.Exchanges.Streaming;

namespace StrategyLab.Exchanges.Mexc.WebSocket;

/// <summary>
/// MEXC's contract websocket (https://www.mexc.com/api-docs/futures/websocket-api): text frames both ways, the
/// commands given at connect time sent first (subscriptions, login), then <c>{"method":"ping"}</c> every ping interval,
/// since MEXC closes a socket that sent no ping for a minute. A connection silent for longer than the idle timeout
/// (pongs count) counts as dropped. Pongs are not passed on.
/// </summary>
internal sealed class MexcStreamConnection : IStreamConnection
{
    private const string PingCommand = "{\"method\":\"ping\"}";

    private readonly ClientWebSocket _socket;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly Task _pings;

    private MexcStreamConnection(ClientWebSocket socket, TimeSpan idleTimeout, TimeSpan pingInterval, TimeProvider time)
    {
        _socket = socket;
        _idleTimeout = idleTimeout;
        _time = time;
        _pings = PingLoop(pingInterval);
    }

    /// <summary>Opens <paramref name="address"/> and sends <paramref name="commands"/> in order.</summary>
    public static async Task<MexcStreamConnection> ConnectAsync(
        Uri address, IEnumerable<string> commands, TimeSpan idleTimeout, TimeSpan pingInterval, TimeProvider time, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(address, ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new MexcStreamConnection(socket, idleTimeout, pingInterval, time);
        try
        {
            foreach (var command in commands)
            {
                await connection.SendAsync(command, ct).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<string?> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            var text = await ReceiveOneAsync(ct).ConfigureAwait(false);
            if (text is null || !text.Contains("\"pong\"", StringComparison.Ordinal))
            {
                return text;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pings.ConfigureAwait(false);
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", quick.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // closing a broken socket: nothing left to tell the venue
        }
        finally
        {
            _socket.Dispose();
            _stop.Dispose();
            _sending.Dispose();
        }
    }

    private async Task SendAsync(string text, CancellationToken ct)
    {
        await _sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new IOException($"the stream dropped ({e.Message.ReplaceLineEndings(" ")})", e);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task PingLoop(TimeSpan interval)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, _time, _stop.Token).ConfigureAwait(false);
                await SendAsync(PingCommand, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // the socket ended; the reader sees why
        }
    }

    private async Task<string?> ReceiveOneAsync(CancellationToken ct)
    {
        using var idle = new CancellationTokenSource(_idleTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token);
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(_buffer.AsMemory(), linked.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                message.Write(_buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new IOException($"no message for {_idleTimeout.TotalSeconds:0.#} s");
        }
        catch (WebSocketException e)
        {
            throw new IOException($"the stream dropped ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }
}
