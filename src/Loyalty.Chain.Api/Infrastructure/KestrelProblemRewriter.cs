using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// Kestrel answers requests it cannot parse (a malformed request line, a bad Host header, oversize headers)
/// itself, before any middleware, with an empty 4xx. This connection middleware gives those answers the same
/// problem-details body and `code` as every other error. It recognises them by their exact shape (a 4xx
/// status line, Content-Length: 0 and Connection: close, written as one block); the app's own errors always
/// carry a body, so they never match. Over TLS or HTTP/2 the bytes never match and pass through untouched.
/// </summary>
public static class KestrelProblemRewriter
{
    public static void UseCodedBadRequests(this Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            var transport = connection.Transport;
            var output = new RewritingStream(transport.Output.AsStream());
            connection.Transport = new Pipe(transport.Input, PipeWriter.Create(output));
            return next(connection);
        });

    private sealed record Pipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private static readonly byte[] StatusLine = "HTTP/1.1 4"u8.ToArray();

    private sealed class RewritingStream(Stream inner) : Stream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            await inner.WriteAsync(Rewrite(buffer), ct);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(Rewrite(buffer.AsMemory(offset, count)).Span);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        private static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> buffer)
        {
            var span = buffer.Span;
            if (span.Length < 16 || span.Length > 1024 || !span.StartsWith(StatusLine) || !span.EndsWith("\r\n\r\n"u8)) return buffer;
            var head = Encoding.ASCII.GetString(span);
            if (!head.Contains("\r\nContent-Length: 0\r\n", StringComparison.Ordinal) || !head.Contains("\r\nConnection: close\r\n", StringComparison.Ordinal))
                return buffer;
            if (!int.TryParse(head.AsSpan(9, 3), out var status)) return buffer;
            var code = HttpHardening.CodeFor(status);
            var body = $"{{\"type\":\"https://loyalty.chain/problems/{code.ToLowerInvariant().Replace('_', '-')}\",\"title\":\"{code}\",\"status\":{status},"
                       + $"\"detail\":\"The request could not be parsed.\",\"code\":\"{code}\"}}";
            var bytes = Encoding.UTF8.GetByteCount(body);
            head = head.Replace("\r\nContent-Length: 0\r\n", $"\r\nContent-Length: {bytes}\r\nContent-Type: application/problem+json\r\n"
                                + "X-Content-Type-Options: nosniff\r\n", StringComparison.Ordinal);
            return Encoding.UTF8.GetBytes(head + body);
        }

        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override void Flush() => inner.Flush();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
