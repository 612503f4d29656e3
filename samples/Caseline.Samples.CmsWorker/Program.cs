using Caseline.Client;
using Caseline.Client.Consumer;
using Caseline.Client.Mirror;
using Caseline.Samples.CmsWorker;

// A CMS's middleware, the part the original system left to each agency: read every change from Caseline,
// keep a local copy of current profiles, and hand each change to the CMS, resuming exactly after a restart.
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration.GetSection("Cms").Get<CmsSettings>() ?? new CmsSettings();
Directory.CreateDirectory(settings.DataDirectory);

builder.Services.AddCaselineClient(options =>
{
    options.BaseAddress = settings.CaselineUrl;
    options.Credentials = CaselineCredentials.Password(settings.ClientId, settings.ClientSecret, settings.Username, settings.Password);
});
builder.Services.AddSingleton(_ => ProfileMirror.Open(Path.Combine(settings.DataDirectory, "mirror.db")));
builder.Services.AddTransmitConsumer<ProfileChangeHandler>(consumer =>
{
    consumer.Name = "cms-worker";
    // The checkpoint lives in the CMS's own database, written in the same transaction as the CMS's changes.
    consumer.Checkpoints = new SqliteCheckpointStore($"Data Source={Path.Combine(settings.DataDirectory, "cms.db")}");
    // What this worker wrote to Caseline itself must not come back into the CMS as a change.
    consumer.SkipOwnEcho = true;
});

builder.Build().Run();
