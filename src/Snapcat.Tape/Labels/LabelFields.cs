namespace Snapcat.Tape.Labels;

/// <summary>
/// Field access for 80-byte ANSI (AL) labels (specs/tape.md §d). Positions are 1-based as in the standard.
/// Text fields: left-aligned, space-filled "a-characters"; numeric fields: right-aligned, zero-filled digits.
/// </summary>
internal static class LabelFields
{
    public const int LabelLength = 80;

    // ANSI X3.27 "a-characters": upper-case letters, digits, space and these symbols.
    private const string Symbols = " !\"%&'()*+,-./:;<=>?_";

    public static bool IsLabelCharacter(char c) => c is >= 'A' and <= 'Z' or >= '0' and <= '9' || Symbols.Contains(c);

    public static void WriteText(Span<byte> label, int pos, int len, string value, string field)
    {
        if (value.Length > len)
            throw new TapeFormatException("tape.label.field", $"{field} '{value}' is longer than {len} characters");
        foreach (char c in value)
            if (!IsLabelCharacter(c))
                throw new TapeFormatException("tape.label.field", $"{field} '{value}' contains '{c}'; labels allow A-Z, 0-9, space and {Symbols.Trim()}");
        var dest = label.Slice(pos - 1, len);
        dest.Fill((byte)' ');
        for (int i = 0; i < value.Length; i++)
            dest[i] = (byte)value[i];
    }

    public static void WriteNumber(Span<byte> label, int pos, int len, long value, string field)
    {
        if (value < 0 || value.ToString().Length > len)
            throw new TapeFormatException("tape.label.field", $"{field} {value} does not fit in {len} digits");
        value.ToString(new string('0', len)).AsSpan().ToAscii(label.Slice(pos - 1, len));
    }

    public static string ReadText(ReadOnlySpan<byte> label, int pos, int len)
    {
        var field = label.Slice(pos - 1, len);
        Span<char> chars = stackalloc char[len];
        for (int i = 0; i < len; i++)
            chars[i] = (char)field[i];
        return new string(chars).TrimEnd(' ');
    }

    public static int ReadNumber(ReadOnlySpan<byte> label, int pos, int len, string labelId, string field)
    {
        var digits = label.Slice(pos - 1, len);
        int value = 0;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
                throw new TapeFormatException("tape.label.number",
                    $"{labelId} {field} (positions {pos}-{pos + len - 1}) is '{ReadText(label, pos, len)}', not {len} digits");
            value = value * 10 + (b - '0');
        }
        return value;
    }

    /// <summary>Checks the length and that every byte is printable ASCII; returns the 4-character label identifier.</summary>
    public static string CheckLabel(ReadOnlySpan<byte> label)
    {
        if (label.Length != LabelLength)
            throw new TapeFormatException("tape.label.length", $"a label is {LabelLength} bytes; this block has {label.Length}");
        for (int i = 0; i < label.Length; i++)
            if (label[i] is < 0x20 or > 0x7E)
                throw new TapeFormatException("tape.label.character", $"label byte {i + 1} is 0x{label[i]:X2}, not printable ASCII");
        return ReadText(label, 1, 4);
    }

    private static void ToAscii(this ReadOnlySpan<char> chars, Span<byte> dest)
    {
        for (int i = 0; i < chars.Length; i++)
            dest[i] = (byte)chars[i];
    }
}
