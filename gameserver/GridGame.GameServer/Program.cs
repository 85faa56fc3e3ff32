using GridGame.GameServer;

await GameServerHost.Build(args).RunAsync();
