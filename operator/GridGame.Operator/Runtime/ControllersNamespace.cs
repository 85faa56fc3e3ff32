// ApiErrors and Conditions moved from here to GridGame.Operator.Runtime. SessionController still names the old
// namespace in a using; this declaration keeps that line compiling until it goes, then this file goes too.
namespace GridGame.Operator.Controllers;
