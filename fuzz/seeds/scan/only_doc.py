'''just a doc'''
