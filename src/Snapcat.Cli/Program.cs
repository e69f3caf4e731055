// Entry point placeholder; the command tree lives in Commands/ (see SnapcatCommand).
return await Snapcat.Cli.SnapcatCommand.RunAsync(args);
