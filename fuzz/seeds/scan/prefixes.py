r"""raw \n doc"""
revision = u"a" 'b' r"c\d"
down_revision = (
    "p"  # comment
    "q",
)
branch_labels = "lbl",
depends_on = ()
