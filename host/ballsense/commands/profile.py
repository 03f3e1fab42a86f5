def register(sub):
    p = sub.add_parser("profile", help="who is on the ball: name, body mass, gentle maximum (N or %% of body weight)",
                       description="Without options: shows the active profile. With --name: creates or updates "
                       "that person's profile and makes it the active one. Research on ball self-massage found "
                       "15-25 % of body weight as effective as 45-55 %.")
    p.add_argument("--name", help="whose profile (created if new; becomes the active one)")
    p.add_argument("--body-mass", default=None, metavar="KG", help="body mass in kilograms")  # cli.check_args
    p.add_argument("--gentle-max", dest="gentle", default=None, metavar="N|PCT%",
                   help="gentle maximum: newtons (120) or %% of body weight (20%%); 'none' to learn it")
    p.set_defaults(fn=run)


def run(a):
    from .. import profile
    from ..errors import UserError

    if a.name is None and (a.body_mass is not None or a.gentle is not None):
        a.name = profile.load().name
        if not a.name:
            raise UserError("no profile yet: give --name NAME with --body-mass or --gentle-max")
    p = profile.save(a.name, a.body_mass, a.gentle) if a.name is not None else profile.load()
    if not p.name:
        print("no profile yet: ballsense profile --name NAME --body-mass KG [--gentle-max 20%]")
        return
    print("\n".join(p.describe()))
    others = [n for n in profile.names() if n != p.name]
    if others:
        print("other profiles: " + ", ".join(others) + " (ballsense profile --name NAME switches)")
    pct = p.pct_of_body(p.gentle_max())
    if pct is not None and pct > 25:
        print(f"note: {pct:.0f} % of body weight; 15-25 % was found as effective as 45-55 %: gentler is enough")
    if a.name is not None:
        print(f"saved in {profile.path()}")
