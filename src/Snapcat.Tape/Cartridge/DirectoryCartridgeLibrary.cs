using Snapcat.Core.Errors;
using Snapcat.Core.Storage;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// A directory of AWSTAPE images named <c>VOLSER.aws</c>, all with the same capacity. New cartridges get
/// serials <c>prefix + number</c> (e.g. SC0001); new files go to the first cartridge with the library's prefix
/// that has room (<see cref="TapeFileSetWriter"/>).
/// Cartridges hold backup data: the directory is created 0700 and every image 0600
/// (<see cref="DurableFile.PrivateDirectory"/>, <see cref="DurableFile.PrivateFile"/>), and a new image's name is made
/// durable (directory fsync) before anything is written into it.
/// </summary>
public sealed class DirectoryCartridgeLibrary : ICartridgeLibrary
{
    public const string Extension = ".aws";
    private readonly string _directory;
    private readonly long _capacity;
    private readonly string _prefix;

    public DirectoryCartridgeLibrary(string directory, long capacityBytes, string serialPrefix = "SC", string owner = "SNAPCAT")
    {
        if (serialPrefix.Length is < 1 or > 3)
            throw new ArgumentException("serial prefix has 1-3 characters", nameof(serialPrefix));
        DurableFile.CreateDirectory(directory);
        _directory = directory;
        _capacity = capacityBytes;
        _prefix = serialPrefix;
        Owner = owner;
    }

    public string Owner { get; }

    public string PathOf(string volumeSerial) => Path.Combine(_directory, volumeSerial + Extension);

    public IReadOnlyList<string> VolumeSerials() =>
        Directory.EnumerateFiles(_directory, "*" + Extension).Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> AppendCandidates() => VolumeSerials().Where(s => s.StartsWith(_prefix, StringComparison.Ordinal)).ToList();

    public long ImageBytes(string volumeSerial)
    {
        var f = new FileInfo(PathOf(volumeSerial));
        return f.Exists ? f.Length : 0;
    }

    public ITapeDrive Mount(string volumeSerial, bool writable)
    {
        VolumeLabel.CheckSerial(volumeSerial);
        string path = PathOf(volumeSerial);
        if (!File.Exists(path))
            throw new SnapcatException(ErrorKind.NotFound, "tape.cartridge_not_found", $"cartridge {volumeSerial} is not in the library at {_directory}");
        var drive = new AwsTapeDrive(path, _capacity, readOnly: !writable);
        drive.Load();
        return drive;
    }

    public ITapeDrive MountScratch(out string volumeSerial)
    {
        int digits = 6 - _prefix.Length;
        int next = VolumeSerials().Where(s => s.StartsWith(_prefix, StringComparison.Ordinal) && s.Length == 6)
            .Select(s => int.TryParse(s.AsSpan(_prefix.Length), out int n) ? n : 0).DefaultIfEmpty(0).Max() + 1;
        volumeSerial = _prefix + next.ToString(new string('0', digits));
        if (volumeSerial.Length > 6)
            throw new SnapcatException(ErrorKind.Conflict, "tape.serials_exhausted", $"no more volume serials with prefix {_prefix}");
        string path = PathOf(volumeSerial);
        CreateImage(path);
        var drive = new AwsTapeDrive(path, _capacity);
        drive.Load();
        return drive;
    }

    /// <summary>Creates an empty image file 0600 and makes its directory entry durable.</summary>
    public static void CreateImage(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DurableFile.PrivateFile;
        using (new FileStream(path, options)) { }
        DurableFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
