match x:
    case 1:
        revision = "no"
revision = "a"
down_revision = None
