using Snapcat.Core.Errors;
using Snapcat.Tape.Awstape;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Tests;

/// <summary>Fuzz targets as plain static methods, smoke-tested with random and mutated input.</summary>
public class FuzzTests
{
    internal static void ReadAwsImage(byte[] image)
    {
        var reader = new AwsTapeReader(new MemoryStream(image));
        var buffer = new byte[AwsTapeReader.MaxBlockLength];
        for (int i = 0; i < 10_000; i++)
            if (reader.Read(buffer).Kind == Snapcat.Tape.TapeReadKind.EndOfTape)
                return;
    }

    internal static void ParseLabel(byte[] label)
    {
        foreach (var parse in new Action[] { () => VolumeLabel.Parse(label), () => FileLabel1.Parse(label), () => FileLabel2.Parse(label) })
        {
            try { parse(); }
            catch (TapeFormatException) { }
        }
    }

    [Fact]
    public void Random_bytes_only_ever_raise_TapeFormatException()
    {
        var rng = new Random(6);
        var valid = new FileLabel1 { FileIdentifier = "A.B", FileSetIdentifier = "SC0001", FileSequence = 3, CreationDate = new DateOnly(2025, 5, 5) }.Encode();
        var validImage = new MemoryStream();
        var w = new AwsTapeWriter(validImage);
        w.WriteBlock(valid);
        w.WriteTapeMark();
        w.WriteBlock(new byte[300]);
        byte[] image = validImage.ToArray();
        int failures = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[rng.Next(0, 400)];
                rng.NextBytes(input);
            }
            else
            {
                input = (i % 4 == 1 ? image : valid).ToArray();
                for (int k = rng.Next(1, 4); k > 0; k--)
                    input[rng.Next(input.Length)] = (byte)rng.Next(256);
                if (i % 8 == 3)
                    input = input[..rng.Next(input.Length)];
            }
            try { ReadAwsImage(input); }
            catch (TapeFormatException) { failures++; }
            catch (SnapcatException e) { Assert.Fail($"unexpected {e.Code}"); }
            ParseLabel(input.Length >= 80 ? input[..80] : input);
        }
        Assert.True(failures > 100, $"only {failures} inputs were rejected");
    }
}
