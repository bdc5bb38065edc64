using System.Net.WebSockets;
using System.Text;

namespace StrategyLab.Exchanges.Streaming;

/// <summary>A live stream of text messages from a venue; <see cref="ReceiveAsync"/> returns null once the venue closed it.</summary>
internal interface IStreamConnection : IAsyncDisposable
{
    /// <summary>The next message, or null when the stream has ended.</summary>
    ValueTask<string?> ReceiveAsync(CancellationToken ct);
}

/// <summary>
/// A websocket of text messages (ClientWebSocket). A connection silent for longer than the idle timeout counts as
/// dropped: a half-open TCP connection would otherwise wait forever.
/// </summary>
internal sealed class WebSocketTextConnection : IStreamConnection
{
    private readonly ClientWebSocket _socket;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly SemaphoreSlim _sending = new(1, 1);

    private WebSocketTextConnection(ClientWebSocket socket, TimeSpan idleTimeout, TimeProvider time)
    {
        _socket = socket;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    /// <summary>Opens <paramref name="address"/> (ws:// or wss://).</summary>
    public static async Task<IStreamConnection> ConnectAsync(Uri address, TimeSpan idleTimeout, TimeProvider time, CancellationToken ct) =>
        await OpenAsync(address, idleTimeout, time, ct).ConfigureAwait(false);

    /// <summary>Opens <paramref name="address"/> (ws:// or wss://) for a venue that is also sent messages.</summary>
    public static async Task<WebSocketTextConnection> OpenAsync(Uri address, TimeSpan idleTimeout, TimeProvider time, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        try
        {
            await socket.ConnectAsync(address, ct).ConfigureAwait(false);
            return new WebSocketTextConnection(socket, idleTimeout, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<string?> ReceiveAsync(CancellationToken ct)
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

    /// <summary>Sends one text message (a subscription, a heartbeat); sends from several flows go one at a time.</summary>
    public async Task SendAsync(string text, CancellationToken ct)
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

    public async ValueTask DisposeAsync()
    {
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
            _sending.Dispose();
        }
    }
}
