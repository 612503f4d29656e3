using System.Buffers;

namespace Caseline.Server.Sync;

/// <summary>
/// Splits a stream into lines without ever holding more than one line (at most <see cref="MaxLineBytes"/>)
/// in memory, so a 100,000-profile upload is read in constant space. A longer line is skipped and
/// reported as too long rather than buffered.
/// </summary>
internal sealed class NdjsonLines(Stream stream) : IDisposable
{
    public const int MaxLineBytes = 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>The number of the line last returned, from 1.</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// The next line without its line break (and without a trailing <c>\r</c>); null at the end. The bytes
    /// are valid until the next call. A line longer than <see cref="MaxLineBytes"/> comes back empty with <see cref="TooLong"/> set.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> NextAsync(CancellationToken cancellationToken)
    {
        var skipping = false;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0 || (_eof && _end > _start))
            {
                var lineEnd = newline >= 0 ? newline : _end;
                var line = new ReadOnlyMemory<byte>(_buffer, _start, lineEnd - _start);
                _start = newline >= 0 ? newline + 1 : _end;
                LineNumber++;
                if (skipping)
                {
                    TooLong = true;
                    return ReadOnlyMemory<byte>.Empty;
                }

                TooLong = false;
                return line.Span.EndsWith("\r"u8) ? line[..^1] : line;
            }

            if (_eof)
            {
                return null;
            }

            if (_end - _start >= MaxLineBytes)
            {
                // Drop what we have of this line and keep reading until its end.
                skipping = true;
                _start = _end = 0;
            }

            Compact();
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            _eof = read == 0;
            _end += read;
        }
    }

    /// <summary>Whether the line last returned was too long and was skipped (it is then returned empty).</summary>
    public bool TooLong { get; private set; }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, MaxLineBytes + 1));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}
