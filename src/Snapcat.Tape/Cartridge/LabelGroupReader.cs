using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>Reads a group of 80-byte label blocks up to and including the tape mark that ends it.</summary>
internal static class LabelGroupReader
{
    /// <summary>Returns the labels before the next tape mark; an empty list means the position was directly
    /// before a tape mark (after another one that is the end of the recorded data).</summary>
    public static List<byte[]> Read(ITapeDrive drive, byte[] buffer, string where)
    {
        var labels = new List<byte[]>();
        while (true)
        {
            var r = drive.ReadBlock(buffer);
            switch (r.Kind)
            {
                case TapeReadKind.TapeMark:
                    return labels;
                case TapeReadKind.EndOfTape:
                    throw new TapeFormatException("tape.unterminated",
                        $"cartridge {drive.Name} ends {where} without the tape mark that closes the label group (truncated cartridge?)");
            }
            if (r.Length != LabelFields.LabelLength)
                throw new TapeFormatException("tape.label.length",
                    $"cartridge {drive.Name}: expected an 80-byte label {where}, found a {r.Length}-byte block at block {drive.BlockPosition - 1}");
            labels.Add(buffer.AsSpan(0, r.Length).ToArray());
        }
    }

    public static byte[]? Find(List<byte[]> labels, string id) => labels.FirstOrDefault(l => l.AsSpan(0, 4).SequenceEqual(System.Text.Encoding.ASCII.GetBytes(id)));
}
