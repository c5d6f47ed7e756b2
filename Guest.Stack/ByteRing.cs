using System;

namespace Guest.Stack;

/// <summary>
/// A fixed-capacity byte FIFO. Besides appending it lets TCP place out-of-order bytes at an
/// offset past the end (<see cref="WriteAt"/>) and later take them in with <see cref="Commit"/>,
/// so reassembly needs no memory beyond the receive window itself.
/// </summary>
internal sealed class ByteRing
{
    private readonly byte[] _buf;
    private int _head;
    private int _count;

    public ByteRing(int capacity) => _buf = new byte[capacity];

    public int Capacity => _buf.Length;
    public int Count => _count;
    public int Free => _buf.Length - _count;

    public void Reset() { _head = 0; _count = 0; }

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns the bytes taken.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        WriteAt(0, data.Slice(0, n));
        _count += n;
        return n;
    }

    /// <summary>Copies bytes to positions Count+offset.. without taking them in; caller keeps offset+len ≤ Free.</summary>
    public void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || offset + data.Length > Free) throw new ArgumentException("ring write outside free space");
        int pos = (_head + _count + offset) % _buf.Length;
        int first = Math.Min(data.Length, _buf.Length - pos);
        data.Slice(0, first).CopyTo(new Span<byte>(_buf, pos, first));
        data.Slice(first).CopyTo(new Span<byte>(_buf, 0, data.Length - first));
    }

    /// <summary>Takes in n bytes previously placed with <see cref="WriteAt"/>.</summary>
    public void Commit(int n)
    {
        if (n < 0 || n > Free) throw new ArgumentException("ring commit beyond capacity");
        _count += n;
    }

    /// <summary>Copies bytes [offset, offset+into.Length) of the content without removing them.</summary>
    public void CopyOut(int offset, Span<byte> into)
    {
        if (offset < 0 || offset + into.Length > _count) throw new ArgumentException("ring read outside content");
        int pos = (_head + offset) % _buf.Length;
        int first = Math.Min(into.Length, _buf.Length - pos);
        new ReadOnlySpan<byte>(_buf, pos, first).CopyTo(into);
        new ReadOnlySpan<byte>(_buf, 0, into.Length - first).CopyTo(into.Slice(first));
    }

    public int Read(Span<byte> into)
    {
        int n = Math.Min(into.Length, _count);
        CopyOut(0, into.Slice(0, n));
        Discard(n);
        return n;
    }

    public void Discard(int n)
    {
        if (n < 0 || n > _count) throw new ArgumentException("ring discard beyond content");
        _head = (_head + n) % _buf.Length;
        _count -= n;
    }
}
